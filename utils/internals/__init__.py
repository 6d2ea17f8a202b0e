"""Provided machinery of the course: nothing here to read or fill in for the assignment."""
