from modeltranslation.translator import TranslationOptions, register

from civicdesk.cases.models import CaseType, Category


@register(CaseType)
class CaseTypeTranslation(TranslationOptions):
    fields = ("name",)


@register(Category)
class CategoryTranslation(TranslationOptions):
    fields = ("name", "description", "keywords")
