"""Notices are written in each of the portal's languages (fi, sv, en)."""

from modeltranslation.translator import TranslationOptions, register

from civicdesk.knowledge.models import Notice


@register(Notice)
class NoticeTranslation(TranslationOptions):
    fields = ("title", "body")
    required_languages = ("fi",)
