from modeltranslation.translator import TranslationOptions, register

from civicdesk.routing.models import ResolutionCode, WorkflowState, WorkflowTransition


@register(WorkflowState)
class WorkflowStateTranslation(TranslationOptions):
    fields = ("name",)


@register(WorkflowTransition)
class WorkflowTransitionTranslation(TranslationOptions):
    fields = ("name",)


@register(ResolutionCode)
class ResolutionCodeTranslation(TranslationOptions):
    fields = ("name",)
