"""The OpenAPI description of the Open311 endpoints (drf-spectacular): shapes and parameters.

These serializers only describe the documents; civicdesk.api.representations builds them, and
tests/test_schema.py checks that both name the same fields.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    code = serializers.IntegerField(help_text="The HTTP status.")
    description = serializers.CharField()


ERRORS = ErrorSerializer(many=True)


class EndpointSerializer(serializers.Serializer):
    specification = serializers.CharField()
    url = serializers.CharField()
    changeset = serializers.CharField()
    type = serializers.CharField()
    formats = serializers.ListField(child=serializers.CharField())


class DiscoverySerializer(serializers.Serializer):
    changeset = serializers.CharField()
    contact = serializers.CharField()
    key_service = serializers.CharField()
    endpoints = EndpointSerializer(many=True)


class ServiceSerializer(serializers.Serializer):
    service_code = serializers.CharField()
    service_name = serializers.CharField()
    description = serializers.CharField()
    metadata = serializers.BooleanField()
    type = serializers.ChoiceField(choices=["realtime", "batch", "blackbox"])
    keywords = serializers.CharField()
    group = serializers.CharField()


class AttributeValueSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()


class AttributeSerializer(serializers.Serializer):
    variable = serializers.BooleanField()
    code = serializers.CharField()
    datatype = serializers.ChoiceField(
        choices=["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
    )
    required = serializers.BooleanField()
    datatype_description = serializers.CharField()
    order = serializers.IntegerField()
    description = serializers.CharField()
    values = AttributeValueSerializer(many=True)


class ServiceDefinitionSerializer(serializers.Serializer):
    service_code = serializers.CharField()
    attributes = AttributeSerializer(many=True)


class ExtendedAttributesSerializer(serializers.Serializer):
    title = serializers.CharField()
    detailed_status = serializers.CharField(
        help_text="6Aika: RECEIVED, IN_PROCESS or PROCESSED, with a PUBLIC_WORKS_* state after a comma."
    )
    media_urls = serializers.ListField(child=serializers.CharField())


class ServiceRequestSerializer(serializers.Serializer):
    service_request_id = serializers.CharField()
    status = serializers.ChoiceField(choices=["open", "closed"])
    status_notes = serializers.CharField()
    service_name = serializers.CharField()
    service_code = serializers.CharField()
    description = serializers.CharField()
    agency_responsible = serializers.CharField()
    service_notice = serializers.CharField()
    requested_datetime = serializers.DateTimeField()
    updated_datetime = serializers.DateTimeField()
    expected_datetime = serializers.DateTimeField(allow_null=True)
    address = serializers.CharField()
    address_id = serializers.CharField()
    zipcode = serializers.CharField()
    lat = serializers.FloatField(allow_null=True)
    long = serializers.FloatField(allow_null=True)
    media_url = serializers.CharField()
    extended_attributes = ExtendedAttributesSerializer(required=False, help_text="Only with extensions=true.")


class PostedSerializer(serializers.Serializer):
    service_request_id = serializers.CharField(
        required=False, help_text="Only when the case was made in the request (a contact with files); "
                                  "otherwise the contact is processed asynchronously and tokens/{token} gives it.")
    service_notice = serializers.CharField()
    account_id = serializers.CharField(allow_null=True)
    token = serializers.CharField(help_text="For tokens/{token}; also the resident's private tracking link.")


class TokenSerializer(serializers.Serializer):
    service_request_id = serializers.CharField(allow_null=True, help_text="null while the case is being made.")
    token = serializers.CharField()


class PostRequestSerializer(serializers.Serializer):
    api_key = serializers.CharField()
    jurisdiction_id = serializers.CharField(required=False)
    service_code = serializers.CharField()
    description = serializers.CharField(max_length=4000)
    title = serializers.CharField(required=False, max_length=200, help_text="6Aika/CitySDK extension.")
    lat = serializers.FloatField(required=False, min_value=-90, max_value=90)
    long = serializers.FloatField(required=False, min_value=-180, max_value=180)
    address_string = serializers.CharField(required=False, max_length=300)
    address_id = serializers.CharField(required=False, max_length=300)
    email = serializers.EmailField(required=False)
    first_name = serializers.CharField(required=False, max_length=100)
    last_name = serializers.CharField(required=False, max_length=100)
    phone = serializers.CharField(required=False, max_length=32)
    media_url = serializers.URLField(required=False)
    media = serializers.ListField(child=serializers.FileField(), required=False,
                                  help_text="6Aika/CitySDK: files (also as media[]), multipart/form-data only.")
    locale = serializers.CharField(required=False, help_text="Language of the text: fi, sv or en.")
    answer_requested = serializers.BooleanField(required=False)
    attribute_case_type = serializers.CharField(required=False, help_text="Sent as attribute[case_type].")
    attribute_feedback_subtype = serializers.CharField(required=False,
                                                       help_text="Sent as attribute[feedback_subtype].")


FORMAT = OpenApiParameter("response_format", OpenApiTypes.STR, OpenApiParameter.PATH, enum=["json", "xml"],
                          description="Response format (the URL's suffix).")
JURISDICTION = OpenApiParameter(
    "jurisdiction_id", OpenApiTypes.STR, description="The organisation's identifier; required when several are hosted."
)
LOCALE = OpenApiParameter("locale", OpenApiTypes.STR, description="fi, sv or en (else Accept-Language).")
EXTENSIONS = OpenApiParameter(
    "extensions", OpenApiTypes.BOOL,
    description="6Aika/CitySDK: add extended_attributes (title, detailed_status, media_urls).",
)
REQUEST_FILTERS = [
    OpenApiParameter("service_request_id", OpenApiTypes.STR, description="Comma-separated ids; overrides the rest."),
    OpenApiParameter("service_code", OpenApiTypes.STR, description="Comma-separated service codes."),
    OpenApiParameter("status", OpenApiTypes.STR, description="open, closed or open,closed."),
    OpenApiParameter("start_date", OpenApiTypes.DATETIME, description="Requested at or after (W3C date-time)."),
    OpenApiParameter("end_date", OpenApiTypes.DATETIME, description="Requested at or before."),
    OpenApiParameter("updated_after", OpenApiTypes.DATETIME, description="CitySDK: updated at or after."),
    OpenApiParameter("updated_before", OpenApiTypes.DATETIME, description="CitySDK: updated at or before."),
    OpenApiParameter("lat", OpenApiTypes.DOUBLE, description="CitySDK: centre of a circle (with long, radius)."),
    OpenApiParameter("long", OpenApiTypes.DOUBLE, description="CitySDK: centre of a circle."),
    OpenApiParameter("radius", OpenApiTypes.DOUBLE, description="CitySDK: metres (default 1000, at most 50000)."),
    OpenApiParameter("bbox", OpenApiTypes.STR, description="west,south,east,north in degrees."),
    EXTENSIONS,
    OpenApiParameter("page", OpenApiTypes.INT, description="Page number, from 1."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="Rows per page (default 100, at most 1000)."),
]
