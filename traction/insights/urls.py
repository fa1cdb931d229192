from .views import imports, maps, search, voting

app_name = "insights"

urlpatterns = [
    *maps.urlpatterns,
    *imports.urlpatterns,
    *voting.urlpatterns,
    *search.urlpatterns,
]
