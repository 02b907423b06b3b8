"""distlab's built-in migration plugins: strategies and workloads."""
