"""One module per page; each defines render() and nothing that runs on import."""
