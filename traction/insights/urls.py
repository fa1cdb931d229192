from .imports import views as imports
from .search import views as search
from .views import exports, maps

app_name = "insights"

urlpatterns = [
    *maps.urlpatterns,
    *imports.urlpatterns,
    *search.urlpatterns,
    *exports.urlpatterns,
]
