"""Publicity: the face other domains call (drafting, 三审 review, preview of 公众号 posts).

The work lives in the modules named for it: post_access (who may do what), post_checks
(limits, images, consent), post_steps (status moves and the step log), post_display (a
post as the caller sees it), drafting, review, preview; publish.py publishes a signed post
and owns its queue, its run and its outcome.
"""

from __future__ import annotations

from server.publicity.drafting import create_post, get_post, list_posts, update_post
from server.publicity.models import STATUS_LABELS, PostStatus
from server.publicity.preview import preview_page
from server.publicity.review import approve_post, send_back, sign_post, submit_post

__all__ = [
    "STATUS_LABELS",
    "PostStatus",
    "approve_post",
    "create_post",
    "get_post",
    "list_posts",
    "preview_page",
    "send_back",
    "sign_post",
    "submit_post",
    "update_post",
]
