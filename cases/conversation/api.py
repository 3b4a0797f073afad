"""``/api/v1/requests/{reference}/messages/``: read the thread (``GET``), post to it (``POST``,
JSON or multipart with files); ``.../messages/files/{id}/`` downloads one file.

The case gate answers another agency's reference with the same logged problem+json 404 as
a missing one. Reads are logged here, posts by the service.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api.collection import IDEMPOTENCY_HEADER
from cases.api.common import IdempotencyKeyReused, messages_of, problem_response
from cases.api.serializers import UtcDateTimeField, raise_api_errors
from cases.conversation.models import Message, Side
from cases.conversation.selectors import thread_attachment, thread_of
from cases.conversation.services import MessageKeyReused, message_post
from cases.selectors import case_get_for_user
from cases.views.files import file_response
from portal.api.parsers import JSONParser
from portal.api.views import ApiView
from portal.audit.access import audited
from portal.audit.models import Action
from portal.audit.services import access_event_record, access_list_record


class FileOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="Use with .../messages/files/{id}/ to download.")
    name = serializers.CharField(help_text="The file's name as sent.")
    content_type = serializers.CharField(help_text="The type detected from its content.")
    size = serializers.IntegerField(help_text="Bytes.")
    sha256 = serializers.CharField(help_text="SHA-256 of the content, hex.")


class MessageOutput(serializers.Serializer):
    """One message of the thread."""

    id = serializers.IntegerField(help_text="The message's number; answers refers to it.")
    side = serializers.ChoiceField(
        choices=Side.choices, help_text="Who wrote it: the agency or the provider."
    )
    author = serializers.CharField(
        help_text="The agency officer's name; provider staff are not named."
    )
    body = serializers.CharField(help_text="The text (may be empty when files were sent).")
    asks_for_information = serializers.BooleanField(
        help_text="The provider's question that put the request on 'needs_info'."
    )
    answers = serializers.IntegerField(
        allow_null=True, help_text="The question this message answers, or null."
    )
    created_at = UtcDateTimeField(help_text="When it was sent (UTC).")
    files = FileOutput(many=True, help_text="Files sent with the message (may be empty).")


def _message_data(message: Message) -> dict[str, Any]:
    if message.side == Side.AGENCY:
        author = message.author.get_full_name() or message.author.get_username()
    else:
        author = ""
    return {
        "id": message.pk,
        "side": message.side,
        "author": author,
        "body": message.body,
        "asks_for_information": message.asks_for_information,
        "answers": message.answers_id,
        "created_at": message.created_at,
        "files": [
            {
                "id": f.pk,
                "name": f.original_name,
                "content_type": f.content_type,
                "size": f.size,
                "sha256": f.sha256,
            }
            for f in message.attachments.all()
        ],
    }


MESSAGE_EXAMPLE = {
    "id": 41,
    "side": "provider",
    "author": "",
    "body": "Which account do you mean: the e-mail address or the phone number?",
    "asks_for_information": True,
    "answers": None,
    "created_at": "2026-03-04T09:30:00Z",
    "files": [],
}


@audited(Action.VIEW, object_type="conversation.message")
class RequestMessagesApi(ApiView):
    """``GET``: the thread of one request; ``POST``: send a message (``submit`` scope)."""

    parser_classes = [JSONParser, MultiPartParser]

    class MessageInput(serializers.Serializer):
        body = serializers.CharField(
            max_length=10000,
            allow_blank=True,
            required=False,
            default="",
            help_text="The message. May be empty when files are sent (multipart).",
        )
        files = serializers.ListField(
            child=serializers.FileField(),
            required=False,
            default=list,
            help_text="Multipart only: PDF documents or images, at most 10.",
        )

    class ThreadOutput(serializers.Serializer):
        reference = serializers.CharField(help_text="The request's reference, e.g. LR-2026-000123.")
        awaiting_answer = serializers.BooleanField(
            help_text="True while a question of the provider waits for the agency's answer."
        )
        messages = MessageOutput(many=True, help_text="The thread, oldest message first.")

    @extend_schema(
        operation_id="requests_messages_list",
        summary="Read the conversation of a request",
        responses={
            200: OpenApiResponse(
                response=ThreadOutput,
                examples=[
                    OpenApiExample(
                        "A question waiting",
                        value={
                            "reference": "LR-2026-000123",
                            "awaiting_answer": True,
                            "messages": [MESSAGE_EXAMPLE],
                        },
                    )
                ],
            ),
            **problem_response(404, "No such request, or another agency's."),
        },
        tags=["requests"],
    )
    def get(self, request: Request, reference: str) -> Response:
        case = case_get_for_user(request.user, reference)
        thread = list(thread_of(case))
        access_list_record(
            request=request._request,
            object_type="conversation.message",
            objects=thread,
            case_reference=case.reference,
        )
        return Response(
            self.ThreadOutput(
                {
                    "reference": case.reference,
                    "awaiting_answer": _awaiting(thread),
                    "messages": [_message_data(m) for m in thread],
                }
            ).data
        )

    @extend_schema(
        operation_id="requests_messages_create",
        summary="Send a message on a request",
        description="Needs the `submit` scope. JSON with `body`, or multipart with `body` and "
        "`files`. A message sent while the request waits for information answers the "
        "question and puts the request back into triage.\n\n"
        "Send an `Idempotency-Key` (e.g. a UUID) and retry freely: a retry with the same key "
        "answers with the message the first attempt sent (header `Idempotent-Replayed: "
        "true`), never a second one. The same key with another message is refused (422).",
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                str,
                OpenApiParameter.HEADER,
                description="1-255 visible ASCII characters, unique per message.",
                pattern=r"^[!-~]{1,255}$",
            ),
            OpenApiParameter(
                "Idempotent-Replayed",
                str,
                OpenApiParameter.HEADER,
                response=[201],
                description="`true` when this answers a retry of an earlier message.",
            ),
        ],
        request={
            "application/json": MessageInput,
            "multipart/form-data": MessageInput,
        },
        responses={
            201: OpenApiResponse(response=MessageOutput),
            **problem_response(400, "Empty message, bad file, or the request is closed."),
            **problem_response(404, "No such request, or another agency's."),
            **problem_response(422, "The Idempotency-Key was used before for another message."),
        },
        examples=[
            OpenApiExample(
                "Answer",
                value={"body": "The e-mail address; the phone number is the victim's."},
                request_only=True,
            )
        ],
        tags=["requests"],
    )
    def post(self, request: Request, reference: str) -> Response:
        case = case_get_for_user(request.user, reference)
        form = self.MessageInput(data=request.data)
        form.is_valid(raise_exception=True)
        files = request.FILES.getlist("files") if hasattr(request, "FILES") else []
        try:
            posted = message_post(
                case=case,
                author=request.user,
                body=form.validated_data.get("body", ""),
                files=files,
                key=request.headers.get(IDEMPOTENCY_HEADER, "").strip(),
            )
        except MessageKeyReused as error:
            raise IdempotencyKeyReused(messages_of(error)) from error
        except DjangoValidationError as error:
            raise_api_errors(error, {"idempotency_key": IDEMPOTENCY_HEADER})
        message = thread_of(case).get(pk=posted.pk)
        headers = {"Idempotent-Replayed": "true"} if posted.replayed else {}
        return Response(_message_data(message), status=status.HTTP_201_CREATED, headers=headers)


def _awaiting(thread: list[Message]) -> bool:
    answered = {m.answers_id for m in thread if m.answers_id}
    return any(m.asks_for_information and m.pk not in answered for m in thread)


@audited(Action.DOWNLOAD, object_type="conversation.messageattachment")
class RequestMessageFileApi(ApiView):
    """``GET``: one file of the thread, as an attachment."""

    @extend_schema(
        operation_id="requests_messages_file",
        summary="Download a file of the conversation",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(description="The file."),
            **problem_response(404, "No such file, or another agency's."),
        },
        tags=["requests"],
    )
    def get(self, request: Request, reference: str, pk: int) -> FileResponse:
        case = case_get_for_user(request.user, reference)
        attachment = thread_attachment(case, pk)
        response = file_response(attachment.file, attachment.original_name, attachment.content_type)
        access_event_record(
            action=Action.DOWNLOAD,
            request=request._request,
            obj=attachment,
            case_reference=case.reference,
            details={"sha256": attachment.sha256},
        )
        return response
