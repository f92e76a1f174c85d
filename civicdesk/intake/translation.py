"""Texts residents read on the contact form, in their own language (fi, sv, en)."""

from modeltranslation.translator import TranslationOptions, register

from civicdesk.intake.models import ContactFormSettings, Topic, TopicQuestion


@register(Topic)
class TopicTranslation(TranslationOptions):
    fields = ("name", "description", "keywords", "redirect_text")


@register(TopicQuestion)
class TopicQuestionTranslation(TranslationOptions):
    fields = ("label", "help_text", "choices")


@register(ContactFormSettings)
class ContactFormSettingsTranslation(TranslationOptions):
    fields = ("intro_text", "consent_text")
