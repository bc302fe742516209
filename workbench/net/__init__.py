"""Every outbound request, through one guarded fetcher and its address policy."""
