from .views import actions, clock, pack, room, scorecards

app_name = "debrief"

urlpatterns = [
    *clock.urlpatterns,
    *room.urlpatterns,
    *actions.urlpatterns,
    *scorecards.urlpatterns,
    *pack.urlpatterns,
]
