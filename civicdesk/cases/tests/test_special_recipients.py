"""Special-category cases reach only groups that may see them; person searches are logged by number."""

import pytest

from civicdesk.cases import services
from civicdesk.core.errors import InvalidInputError
from tests.factories import City


@pytest.mark.django_db
def test_special_category_cases_go_only_to_groups_that_may_see_them(city: City) -> None:
    routed = city.case(case_type=city.special_type, categories=[city.category_streets],
                       contains_special_categories=True)
    assert routed.owner_group == city.social  # the streets group may not see such data
    with pytest.raises(InvalidInputError):
        city.case(case_type=city.special_type, owner_group=city.streets, contains_special_categories=True)
    with pytest.raises(InvalidInputError):
        services.case_forward(case=routed, actor=city.fresh("social_expert"), to_group=city.parks)


@pytest.mark.django_db
def test_a_phone_search_is_logged_under_the_normalised_number(city: City) -> None:
    from civicdesk.privacy.models import AuditEntry

    city.case(customer_phone="040 123 4567")
    found = services.cases_search_logged(user=city.fresh("advisor"), query="040 123 4567")
    assert len(found) == 1
    assert AuditEntry.objects.get(action="case.search").subjects == ["+358401234567"]
