"""Quote-to-routing arithmetic and finite-capacity scheduling (greedy + OR-Tools CP-SAT)."""
