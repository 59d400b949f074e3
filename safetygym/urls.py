from django.contrib import admin
from django.urls import include, path

from leaderboard import api, views

urlpatterns = [
    path("", views.index, name="index"),
    path("benchmarks/<slug:slug>/v<int:number>/", views.leaderboard, name="leaderboard"),
    path("evaluations/<int:pk>/", views.evaluation_detail, name="evaluation"),
    path("api/v1/", include(api.urlpatterns)),
    path("admin/", admin.site.urls),
]
