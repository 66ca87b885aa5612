"""The client portal: what a client's people see of their own company, and nothing else."""
