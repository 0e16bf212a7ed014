"""spec.payload reaches whichever analyzer runs: SageMaker's built-in one gets a record preprocessor
(`RecordPreprocessorSourceUri`, the SageMaker API's field of MonitoringAppSpecification / DataQualityAppSpecification:
"An Amazon S3 URI to a script that is called per row prior to running analysis"), ours gets its run environment; the
role that runs each may read the script."""

from __future__ import annotations

import json
from typing import Any

from modelmonitor.analyzer.read.payloads import PayloadMapping, PayloadSide, decode_record
from modelmonitor.analyzer.read.preprocessor import Preprocessor
from modelmonitor.components.render import render_plan
from modelmonitor.spec import ModelMonitorDocument
from tests.components.conftest import example, of_type, one

DQ_JOB = "sagemaker/dataQualityJobDefinition:DataQualityJobDefinition"
OBJECT = "s3/bucketObjectv2:BucketObjectv2"
MAPPING = {"input": {"path": "instances[*].features", "names": ["age", "income"]},
           "output": {"path": "predictions[*].score", "names": ["score"]}}


def _document(**spec: Any) -> ModelMonitorDocument:
    base = example("full.yaml")
    raw = base.spec.model_dump(by_alias=True, exclude_none=True)
    raw["dataQuality"] = {**raw["dataQuality"], **spec.pop("dataQuality", {})}
    return ModelMonitorDocument.model_validate(
        {**base.model_dump(by_alias=True, exclude_none=True), "spec": {**raw, **spec}})


def _policies_reading(plan: list[dict[str, Any]], object_arn: str) -> list[str]:
    found = []
    for resource in plan:
        policy = resource["inputs"].get("policy")
        if resource["type"].endswith("rolePolicy:RolePolicy") and isinstance(policy, str):
            for statement in json.loads(policy)["Statement"]:
                resources, actions = statement["Resource"], statement["Action"]
                resources = resources if isinstance(resources, list) else [resources]
                actions = actions if isinstance(actions, list) else [actions]
                if "s3:GetObject" in actions and any(r != "*" and object_arn.startswith(r.rstrip("*"))
                                                     for r in resources):
                    found.append(resource["name"])
    return found


def test_builtin_analyzer_runs_the_mapping_as_a_generated_record_preprocessor() -> None:
    document = _document(engine="modelMonitor", dataQuality={"analyzer": "builtin"}, payload=MAPPING)
    plan = render_plan([document])
    job = one(plan, DQ_JOB)["inputs"]["dataQualityAppSpecification"]
    [script] = of_type(plan, OBJECT)
    bucket, key = script["inputs"]["bucket"], script["inputs"]["key"]
    ns, name = document.metadata.namespace, document.metadata.name
    assert key == f"code/{ns}/{name}/record_preprocessor.py"
    assert job["recordPreprocessorSourceUri"] == f"s3://{bucket}/{key}"
    assert script["inputs"]["serverSideEncryption"] == "aws:kms"
    assert _policies_reading(plan, f"arn:aws:s3:::{bucket}/{key}")  # the monitoring role may read it

    # The uploaded file, run with AWS's contract, gives the rows our analyzer reads with the same mapping.
    namespace: dict[str, Any] = {}
    exec(compile(script["inputs"]["content"], key, "exec"), namespace)
    handler = Preprocessor(source=key, handler=namespace["preprocess_handler"], takes_logger=False)
    record = {"captureData": {
        "endpointInput": {"data": json.dumps({"instances": [{"features": [41, 5000]}, {"features": [23, 900]}]}),
                          "encoding": "JSON", "mode": "INPUT", "observedContentType": "application/json"},
        "endpointOutput": {"data": json.dumps({"predictions": [{"score": 0.1}, {"score": 0.8}]}),
                           "encoding": "JSON", "mode": "OUTPUT", "observedContentType": "application/json"}},
        "eventMetadata": {"eventId": "e"}, "eventVersion": "0"}
    mapping = PayloadMapping(input=PayloadSide("instances[*].features", ("age", "income")),
                             output=PayloadSide("predictions[*].score", ("score",)))
    assert handler.rows(record) == decode_record(record, "output_first", mapping).rows


def test_a_users_preprocessor_is_passed_as_is_and_readable() -> None:
    uri = "s3://ml-code/monitoring/preprocessor.py"
    document = _document(engine="modelMonitor", dataQuality={"analyzer": "builtin"},
                         payload={"preprocessorS3Uri": uri})
    plan = render_plan([document])
    assert one(plan, DQ_JOB)["inputs"]["dataQualityAppSpecification"]["recordPreprocessorSourceUri"] == uri
    assert not of_type(plan, OBJECT)
    assert _policies_reading(plan, "arn:aws:s3:::ml-code/monitoring/preprocessor.py")


def test_our_analyzer_gets_the_mapping_in_its_environment_under_every_engine() -> None:
    for engine, analyzer in (("modelMonitor", "custom"), ("lambda", "custom"), ("processingJob", "custom")):
        document = _document(engine=engine, dataQuality={"analyzer": analyzer}, payload=MAPPING)
        plan = render_plan([document])
        # no generated preprocessor: the only object is the analyzer's code bundle (our engines' baseline job)
        assert not [o for o in of_type(plan, OBJECT) if not o["name"].endswith("-analyzer-code")], engine
        text = json.dumps(plan)
        assert "payload_mapping" in text and "instances[*].features" in text, engine


def test_lambda_analyzer_may_read_a_users_preprocessor() -> None:
    uri = "s3://ml-code/monitoring/preprocessor.py"
    plan = render_plan([_document(engine="lambda", payload={"preprocessorS3Uri": uri})])
    assert _policies_reading(plan, "arn:aws:s3:::ml-code/monitoring/preprocessor.py")
    assert "record_preprocessor_script" in json.dumps(plan)


def test_job_definitions_with_a_preprocessor_are_valid_sagemaker_requests() -> None:
    """The rendered job definitions, translated into CreateDataQualityJobDefinition /
    CreateModelQualityJobDefinition requests and validated against botocore's service model (member names,
    RecordPreprocessorSourceUri's S3 pattern and length, the 50-entry Environment map)."""
    from tests.components.test_boto_contracts import sagemaker_requests

    for payload, analyzer in (({"preprocessorS3Uri": "s3://ml-code/monitoring/preprocessor.py"}, "builtin"),
                              (MAPPING, "builtin"), (MAPPING, "custom")):
        plan = render_plan([_document(engine="modelMonitor", dataQuality={"analyzer": analyzer},
                                      payload=payload)])
        requests = dict(sagemaker_requests(plan))  # validates every request against botocore's model
        app = requests["CreateDataQualityJobDefinition"]["DataQualityAppSpecification"]
        if analyzer == "builtin":
            assert app["RecordPreprocessorSourceUri"].startswith("s3://")
        else:
            assert json.loads(app["Environment"]["payload_mapping"]) == MAPPING
        model_quality = requests["CreateModelQualityJobDefinition"]["ModelQualityAppSpecification"]
        assert (model_quality.get("RecordPreprocessorSourceUri") is not None) == ("preprocessorS3Uri" in payload)
