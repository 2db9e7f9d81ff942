"""URLs of the coordinator's pages for filling seats: invite many to many, assign,
answer on behalf, move, remove, replace, reissue a link (in the staffing namespace)."""

from django.urls import URLPattern, path

from staffing.views import filling, filling_seats

urlpatterns: list[URLPattern] = [
    path("elections/<int:election_id>/invite/", filling.invite_many, name="fill_invite"),
    path(
        "elections/<int:election_id>/invite/result/",
        filling.invite_result,
        name="fill_invite_result",
    ),
    path(
        "elections/<int:election_id>/shifts/<int:shift_id>/assign/",
        filling_seats.assign,
        name="fill_assign",
    ),
    path(
        "elections/<int:election_id>/seats/<int:assignment_id>/answer/",
        filling_seats.answer,
        name="fill_answer",
    ),
    path(
        "elections/<int:election_id>/seats/<int:assignment_id>/move/",
        filling_seats.move,
        name="fill_move",
    ),
    path(
        "elections/<int:election_id>/seats/<int:assignment_id>/remove/",
        filling_seats.remove,
        name="fill_remove",
    ),
    path(
        "elections/<int:election_id>/seats/<int:assignment_id>/replace/",
        filling_seats.replace,
        name="fill_replace",
    ),
    path(
        "elections/<int:election_id>/seats/<int:assignment_id>/new-link/",
        filling_seats.new_link,
        name="fill_new_link",
    ),
]
