"""Fields shown to residents or staff in their own language (fi, sv, en)."""

from modeltranslation.translator import TranslationOptions, register

from civicdesk.organizations.models import Area, Organization, ServiceGroup, Unit


@register(Organization)
class OrganizationTranslation(TranslationOptions):
    fields = ("name",)


@register(Unit)
class UnitTranslation(TranslationOptions):
    fields = ("name",)


@register(ServiceGroup)
class ServiceGroupTranslation(TranslationOptions):
    fields = ("name",)


@register(Area)
class AreaTranslation(TranslationOptions):
    fields = ("name",)
