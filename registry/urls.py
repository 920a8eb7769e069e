from django.contrib.auth import views as auth_views
from django.urls import path

from .views import pages

urlpatterns = [
    path("", pages.home, name="home"),
    path("login/", pages.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("retirees/", pages.retiree_list, name="retiree-list"),
    path("retirees/<int:pk>/", pages.retiree_detail, name="retiree-detail"),
]
