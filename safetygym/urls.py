from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from leaderboard import (  # noqa: F401 (converters registers <id:>)
    account_views,
    api,
    browse_views,
    converters,
    submit_views,
    views,
)
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
    path("evaluations/<id:pk>/status/", views.evaluation_status, name="evaluation-status"),
    path("benchmarks/<slug:slug>/v<int:number>/reevaluate/", submit_views.reevaluate,
         name="reevaluate"),
    path("submit/", submit_views.submit, name="submit"),
    path("submissions/", submit_views.my_submissions, name="my-submissions"),
    path("submissions/<id:pk>/withdraw/", submit_views.withdraw, name="withdraw"),
    path("submissions/<id:pk>/restore/", submit_views.restore, name="restore"),
    path("submissions/<id:pk>/delete/", submit_views.delete, name="delete"),
    path("accounts/signup/", account_views.signup, name="signup"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/tokens/", account_views.tokens, name="tokens"),
    path("accounts/tokens/new/", account_views.create_token, name="token-create"),
    path("accounts/tokens/revoke/", account_views.revoke_token, name="token-revoke"),
    path("api/v1/", include(api.urlpatterns)),
    path("admin/", admin.site.urls),
]
