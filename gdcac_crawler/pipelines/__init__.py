"""Item pipelines, in the order an item goes through them (``ITEM_PIPELINES`` in ``settings.py``):

``clean``        :class:`~.clean.CleanPipeline` (300): extracted article fields become archived ones;
``validate``     :class:`~.validate.ValidatePipeline` (400): the watched fields counted, articles without a
                 title or a body dropped;
``attachments``  :class:`~.attachments.AttachmentsPipeline` (700): every article's attachment files downloaded;
``archive``      :class:`~.archive.ArchivePipeline` (800): every item written to the SQLite archive, the run
                 recorded.
"""
