"""Read layer: a dataset's objects (local or S3) in, typed column batches and read counters out.

The door is `read.dataset.read_dataset`: format detection, SageMaker's capture layout, CSV headers, the payload
decoders (`payloads`: one captured request/response body → rows), the C/Arrow/Python parsing paths, typing
(`typed_chunk`) and prefetching all stay behind it. `records` reads whole JSON-line records (captures, ground
truth) for readers that need each record's metadata. Object I/O (`sources`) lives here too.

May import: `base`, `native`. Belongs here: anything about where data is and how its bytes become values."""
