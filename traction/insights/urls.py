from .views import exports, imports, maps, search, voting

app_name = "insights"

urlpatterns = [
    *maps.urlpatterns,
    *imports.urlpatterns,
    *voting.urlpatterns,
    *search.urlpatterns,
    *exports.urlpatterns,
]
