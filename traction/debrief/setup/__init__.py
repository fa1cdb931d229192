"""What each area of the debrief plugs in (navigation, sections, figures, event handlers,
periodic jobs, webhook sinks): one ``register()`` per area, called from ``AppConfig.ready``."""
