"""PrusaSlicer integration: precise quotes, machine job files, and the shipped profiles."""
