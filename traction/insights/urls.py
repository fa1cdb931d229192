from .imports import views as imports
from .views import exports, maps, search, voting

app_name = "insights"

urlpatterns = [
    *maps.urlpatterns,
    *imports.urlpatterns,
    *voting.urlpatterns,
    *search.urlpatterns,
    *exports.urlpatterns,
]
