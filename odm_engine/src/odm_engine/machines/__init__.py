"""Machine protocol connectors, parallel polling, machine matching and job files."""
