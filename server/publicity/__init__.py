"""Publicity: 公众号 posts from finished activities, their 三审 review and publishing."""
