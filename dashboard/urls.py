from django.urls import path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("portfolio/history.json", views.portfolio_history, name="portfolio-history"),
    path("activity/", views.activity_feed, name="activity"),
    path("activity.csv", views.activity_csv, name="activity-csv"),
    path("attention/", views.attention, name="attention"),
]
