from django.contrib import admin
from django.urls import include, path

from leaderboard import api, browse_views, converters, views  # noqa: F401 (converters registers <id:>)
from safetygym.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", views.index, name="index"),
    path("benchmarks/<slug:slug>/", browse_views.benchmark, name="benchmark"),
    path("benchmarks/<slug:slug>/v<int:number>/", browse_views.leaderboard, name="leaderboard"),
    path("benchmarks/<slug:slug>/v<int:number>/leaderboard.csv", browse_views.leaderboard_csv,
         name="leaderboard-csv"),
    path("benchmarks/<slug:slug>/v<int:number>/leaderboard.svg", browse_views.leaderboard_svg,
         name="leaderboard-svg"),
    path("benchmarks/<slug:slug>/v<int:number>/snapshots/", browse_views.snapshots,
         name="snapshots"),
    path("benchmarks/<slug:slug>/v<int:number>/compare/", browse_views.compare, name="compare"),
    path("benchmarks/<slug:slug>/v<int:number>/entries/<id:submission_id>/",
         browse_views.entry_permalink, name="entry"),
    path("badges/<slug:slug>/<id:submission_id>.svg", browse_views.badge_svg, name="badge-svg"),
    path("badges/<slug:slug>/<id:submission_id>.json", browse_views.badge_json,
         name="badge-json"),
    path("evaluations/<id:pk>/", views.evaluation_detail, name="evaluation"),
    path("api/v1/", include(api.urlpatterns)),
    path("admin/", admin.site.urls),
]
