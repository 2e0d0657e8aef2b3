"""Wagtail's image form, keeping the chosen file when another field is refused.

A browser cannot refill a file input, so after "alt text is required" the editor would have
to choose the file again. The valid upload is kept in the media storage and named in a hidden
field; the next submit without a new file uses it.
"""

import mimetypes
import re
import uuid
from pathlib import PurePosixPath

from django import forms
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.images.forms import BaseImageForm

from .renditions import prepare_later

PENDING_DIR = "pending-uploads"
PENDING_NAME = re.compile(rf"^{PENDING_DIR}/[0-9a-f]{{32}}/[\w.\-]+$")


class ImageForm(BaseImageForm):
    pending_file = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound or "file" not in self.fields or self.files.get("file"):
            return
        name = self.data.get("pending_file", "")
        # Only a name this form made: a random folder under the pending-uploads folder.
        if PENDING_NAME.match(name) and default_storage.exists(name):
            with default_storage.open(name) as stored:
                content = stored.read()
            basename = PurePosixPath(name).name
            content_type = mimetypes.guess_type(basename)[0] or "application/octet-stream"
            self.files = self.files.copy()
            self.files["file"] = SimpleUploadedFile(basename, content, content_type)

    def full_clean(self) -> None:
        super().full_clean()
        upload = getattr(self, "cleaned_data", {}).get("file")
        if not self.errors or "file" not in self.fields or "file" in self.errors or not upload:
            return
        upload.seek(0)
        basename = re.sub(r"[^\w.\-]", "_", PurePosixPath(upload.name).name)
        name = default_storage.save(f"{PENDING_DIR}/{uuid.uuid4().hex}/{basename}", upload)
        self.data = self.data.copy()
        self.data["pending_file"] = name
        self.fields["file"].help_text = (
            f"Your file {basename} is kept: fix the other fields and upload, "
            "or choose another file to replace it."
        )

    def save(self, commit: bool = True):
        image = super().save(commit=commit)
        if commit and "file" in self.changed_data:
            # Wagtail's form deletes the old renditions after the save that enqueued new ones;
            # without a worker (tasks inline) those were just deleted: make them again.
            prepare_later([image.pk])
        return image
