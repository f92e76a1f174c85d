"""Factories for tests: a small organisation with every role, built through the real models."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import factory
from django.utils import timezone

from civicdesk.accounts.models import GroupMembership, Membership, Role, User
from civicdesk.cases import services as case_services
from civicdesk.cases.models import Case, CaseKind, CaseType, Category, Channel
from civicdesk.organizations.models import Organization, ServiceGroup, WorkingCalendar
from civicdesk.organizations.services import area_save

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[24.90, 60.15], [24.98, 60.15], [24.98, 60.20], [24.90, 60.20], [24.90, 60.15]]],
}
EAST_SQUARE = {
    "type": "Polygon",
    "coordinates": [[[24.98, 60.15], [25.06, 60.15], [25.06, 60.20], [24.98, 60.20], [24.98, 60.15]]],
}


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    slug = factory.Sequence(lambda n: f"city-{n}")
    name = factory.Sequence(lambda n: f"Kaupunki {n}")


class ServiceGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceGroup

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Ryhmä {n}")
    code = factory.Sequence(lambda n: f"group-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@city.example")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def save_password(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:  # noqa: N805
        if create:
            obj.save()


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    organization = factory.SubFactory(OrganizationFactory)
    code = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"Aihe {n}")


def add_role(user: User, organization: Organization, role: str, *, groups: tuple[ServiceGroup, ...] = (),
             areas: tuple[Any, ...] = ()) -> User:
    membership, _ = Membership.objects.get_or_create(user=user, organization=organization, role=role)
    if areas:
        membership.areas.add(*areas)
    for group in groups:
        GroupMembership.objects.get_or_create(user=user, service_group=group)
    if hasattr(user, "_civicdesk_access"):
        del user._civicdesk_access
    return user


@dataclass
class City:
    """One organisation with groups, areas, types, categories and a user for every role."""

    org: Organization
    intake: ServiceGroup
    streets: ServiceGroup
    parks: ServiceGroup
    social: ServiceGroup
    partner_group: ServiceGroup
    area_west: Any
    area_east: Any
    types: dict[str, CaseType]
    special_type: CaseType
    category_streets: Category
    category_parks: Category
    category_social: Category
    users: dict[str, User] = field(default_factory=dict)

    def fresh(self, name: str) -> User:
        """The user reloaded, as a new request would see it in a process that has not served them yet
        (no access cached on the object, nor kept by the process: accounts.permissions.access_for)."""
        from civicdesk.accounts import permissions
        from civicdesk.cases import permissions as case_permissions

        permissions._ACCESS.clear()
        case_permissions._SPECIAL_DATA_GROUPS.clear()
        return User.objects.get(pk=self.users[name].pk)

    def admin_user(self, name: str = "contentadmin") -> User:
        """The user, let into the Django admin (`is_staff`); what they may change there follows their roles."""
        user = self.users[name]
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        return user

    def case(self, **overrides: Any) -> Case:
        values: dict[str, Any] = {
            "organization": self.org,
            "case_type": self.types[CaseKind.FAULT_REPORT],
            "title": "Kuoppa kadulla",
            "description": "Iso kuoppa Mannerheimintiellä pyörätien kohdalla.",
            "channel": Channel.WEB_FORM,
            "categories": [self.category_streets],
            "lat": 60.17,
            "lon": 24.94,
            "customer_name": "Maija Meikäläinen",
            "customer_email": "maija@example.fi",
            "answer_requested": True,
            "consent_text": "Hyväksyn tietojeni käsittelyn.",
        }
        values.update(overrides)
        return case_services.case_create(**values)


ROLE_USERS = {
    "techadmin": Role.TECHNICAL_ADMIN,
    "contentadmin": Role.CONTENT_ADMIN,
    "advisor": Role.SERVICE_ADVISOR,
    "expert": Role.EXPERT,
    "expert2": Role.EXPERT,
    "parks_expert": Role.EXPERT,
    "social_expert": Role.EXPERT,
    "reporter": Role.REPORTER,
    "viewer": Role.VIEWER,
    "east_viewer": Role.VIEWER,
    "internal": Role.INTERNAL_CUSTOMER,
    "partner": Role.EXTERNAL_PARTNER,
}


def build_city(slug: str = "testcity") -> City:
    org = Organization.objects.create(slug=slug, name="Testikaupunki", name_sv="Teststad", name_en="Test City")
    calendar = WorkingCalendar.objects.create(organization=org, name="Virka-aika")
    for weekday in range(5):
        calendar.opening_hours.create(weekday=weekday, opens="08:00", closes="16:00")

    def group(code: str, name: str, **extra: Any) -> ServiceGroup:
        return ServiceGroup.objects.create(organization=org, code=code, name=name, calendar=calendar, **extra)

    intake = group("customer-service", "Asiakaspalvelu", kind=ServiceGroup.Kind.ADVISORS, is_intake=True)
    streets = group("streets", "Katujen kunnossapito")
    parks = group("parks", "Puistot")
    social = group("social", "Sosiaalipalvelut")
    partner_group = group("contractor", "Urakoitsija Oy", kind=ServiceGroup.Kind.PARTNER)
    west = area_save(organization=org, code="west", name="Länsi", geometry=SQUARE)
    east = area_save(organization=org, code="east", name="Itä", geometry=EAST_SQUARE)
    types: dict[str, CaseType] = {
        str(kind): CaseType.objects.create(
            organization=org, code=kind.replace("_", "-"), kind=kind, name=str(kind.label)
        )
        for kind in CaseKind
    }
    special_type = CaseType.objects.create(organization=org, code="social-feedback", kind=CaseKind.FEEDBACK,
                                           name="Sosiaalipalvelujen palaute")
    special_type.special_data_groups.add(social)
    city = City(
        org=org, intake=intake, streets=streets, parks=parks, social=social, partner_group=partner_group,
        area_west=west, area_east=east, types=types, special_type=special_type,
        category_streets=Category.objects.create(organization=org, code="streets", name="Katujen kunto",
                                                 default_group=streets),
        category_parks=Category.objects.create(organization=org, code="parks", name="Puistot", default_group=parks),
        category_social=Category.objects.create(organization=org, code="social", name="Sosiaalipalvelut",
                                                default_group=social),
    )
    groups_of = {
        "advisor": (intake,), "expert": (streets,), "expert2": (streets,), "parks_expert": (parks,),
        "social_expert": (social,), "partner": (partner_group,),
    }
    areas_of = {"viewer": (west,), "east_viewer": (east,)}
    for username, role in ROLE_USERS.items():
        user: User = UserFactory(username=f"{slug}-{username}")  # type: ignore[assignment]
        add_role(user, org, role, groups=groups_of.get(username, ()), areas=areas_of.get(username, ()))
        city.users[username] = user
    return city


def now() -> Any:
    return timezone.now()


def add_topic(city: City, slug: str = "pothole", **overrides: Any) -> Any:
    """A contact topic of the city (intake.Topic): a located fault report about streets by default."""
    from civicdesk.intake.models import ContactKind, LocationNeed, Topic

    values: dict[str, Any] = {
        "organization": city.org, "slug": slug, "name_fi": "Kuoppa tai irtonainen reunakivi",
        "name_en": "A pothole or a loose kerb", "keywords_fi": "katu, asfaltti", "keywords_en": "street, asphalt",
        "category": city.category_streets, "kinds": [ContactKind.FAULT_REPORT, ContactKind.COMPLAINT],
        "location": LocationNeed.REQUIRED, "asks_for_photos": True,
    }
    # A plain `name=` (or keywords, description) is the text in every language, whichever is active.
    for translated in ("name", "keywords", "description", "redirect_text"):
        if translated in overrides:
            text = overrides.pop(translated)
            for language in ("fi", "sv", "en"):
                values[f"{translated}_{language}"] = overrides.pop(f"{translated}_{language}", text)
    values.update(overrides)
    return Topic.objects.create(**values)
