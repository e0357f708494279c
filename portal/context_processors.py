def navigation(request):
    """Filled in by the shell (team switcher, navigation)."""
    return {}
