"""The modelwire command line."""
