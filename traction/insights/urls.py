from .imports import views as imports
from .search import views as search
from .views import exports, maps, voting

app_name = "insights"

urlpatterns = [
    *maps.urlpatterns,
    *imports.urlpatterns,
    *voting.urlpatterns,
    *search.urlpatterns,
    *exports.urlpatterns,
]
