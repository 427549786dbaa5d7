"""Creates template.yaml as a CloudFormation stack on the local moto server: SAM transform, static checks, CreateStack, the rest through each service's API.

Usage (AWS_ENDPOINT_URL points at moto):
  stack.py create STACK_NAME OUT.json [Key=Value ...]   transform, check, create; write what the tests need
  stack.py check [OUT.json]                              SAM transform, static checks, docs/LOGS.md's DDL (no server)

What `create` does, in order:
1. transforms template.yaml with aws-sam-translator (what `sam deploy` has CloudFormation do),
   after pointing CodeUri at a zip on S3 (what `sam build && sam package` do);
2. checks, on the transformed template, what moto cannot create and so cannot show: the CloudFront
   behaviours, caching, compression, headers, origin secret, bucket policy, WAF (`check_static`);
3. removes the resource types moto's CloudFormation does not implement (taken from moto itself),
   creates the rest with CreateStack, and waits for CREATE_COMPLETE;
4. creates the removed resources through their own service APIs on moto, from the template's own
   properties with its references resolved against the stack (Secrets Manager, Lambda function URL,
   CloudFront distribution, S3 bucket policies, Glue database + table, Athena workgroup, CloudWatch
   alarms, WAF web ACL), and checks what each API answered;
5. writes OUT.json: the stack outputs (those naming removed resources resolved too), each logical
   resource's physical id, the functions' environments, the Glue table, and what was created how.
"""
import ast
import io
import json
import os
import re
import sys
import time
import urllib.parse
import uuid
import zipfile
from pathlib import Path

import boto3
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def client(service):
    return boto3.client(service, endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


class NoManagedPolicies(ManagedPolicyLoader):
    """The template names its roles itself, so the translator never needs AWS's managed policy list."""

    def __init__(self):
        pass

    def load(self):
        return {}


def sam_transform(code_uri, params):
    """template.yaml -> plain CloudFormation, as `sam deploy` has it done."""
    tpl = yaml_parse(TEMPLATE.read_text())
    tpl["Globals"]["Function"]["CodeUri"] = code_uri
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)  # the translator fills in AWS::Region
    return transform(tpl, dict(params), NoManagedPolicies())


# --------------------------------------------------------------------------------------------
# Static checks of what moto cannot create (it would accept almost any CloudFront config).

def check_sam_build():
    """What `sam build` needs: each function built by cargo-lambda from the workspace, its own binary."""
    tpl = yaml_parse(TEMPLATE.read_text())
    root = (TEMPLATE.parent / tpl["Globals"]["Function"]["CodeUri"]).resolve()
    workspace = (root / "Cargo.toml").read_text()
    fail = [] if "[workspace]" in workspace and '"lambda-logger"' in workspace else [f"{root} is not the workspace holding lambda-logger"]
    bins = re.findall(r'\[\[bin\]\]\nname = "([^"]+)"', (ROOT / "lambda-logger/Cargo.toml").read_text())
    for name, binary in (("LoggerFunction", "lambda-logger"), ("ArchiverFunction", "lambda-archiver")):
        meta = tpl["Resources"][name].get("Metadata", {})
        if meta.get("BuildMethod") != "rust-cargolambda" or meta.get("BuildProperties", {}).get("Binary") != binary:
            fail.append(f"{name}: Metadata BuildMethod rust-cargolambda, BuildProperties Binary {binary}")
        if binary not in bins:
            fail.append(f"lambda-logger/Cargo.toml has no [[bin]] {binary}")
    if fail:
        raise SystemExit("template.yaml cannot be built by sam build:\n  " + "\n  ".join(fail))


def check_static(cfn):
    res = cfn["Resources"]
    fail = []

    def expect(cond, what):
        if not cond:
            fail.append(what)

    types = {k: v["Type"] for k, v in res.items()}
    expect(types.get("LoggerFunctionUrl") == "AWS::Lambda::Url", "SAM made the logger's function URL")
    url = res["LoggerFunctionUrl"]["Properties"]
    expect(url.get("AuthType") == "NONE", "function URL is public (a beacon cannot sign)")
    expect(any(v["Type"] == "AWS::Lambda::Permission" and v["Properties"].get("FunctionUrlAuthType") == "NONE"
               for v in res.values()), "a permission lets anyone invoke the function URL")

    dist = res["Distribution"]["Properties"]["DistributionConfig"]
    origins = {o["Id"]: o for o in dist["Origins"]}
    s3o, lo = origins["artifacts"], origins["logger"]
    expect(s3o["DomainName"] == {"Fn::GetAtt": ["ArtifactsBucket", "RegionalDomainName"]}, "S3 origin is the artifacts bucket")
    expect(s3o.get("OriginAccessControlId") == {"Fn::GetAtt": ["ArtifactsOriginAccessControl", "Id"]}, "S3 origin uses the OAC")
    expect(not s3o.get("OriginPath"), "no origin path: invalidation paths are /<key> (docs/PUBLISHING.md)")
    expect("LoggerFunctionUrl" in json.dumps(lo["DomainName"]), "logger origin is the function URL's host")
    expect(lo["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only", "logger origin over https")
    headers = {h["HeaderName"]: h["HeaderValue"] for h in lo.get("OriginCustomHeaders", [])}
    secret_ref = headers.get("X-Formroute-Origin-Verify")
    env = res["LoggerFunction"]["Properties"]["Environment"]["Variables"]
    expect(secret_ref is not None and secret_ref == env.get("FORMROUTE_ORIGIN_SECRET"),
           "CloudFront's X-Formroute-Origin-Verify header and the logger's FORMROUTE_ORIGIN_SECRET are the same secret")
    expect("resolve:secretsmanager:${OriginVerifySecret}" in json.dumps(secret_ref), "the origin secret is a Secrets Manager dynamic reference")

    default = dist["DefaultCacheBehavior"]
    expect(default["TargetOriginId"] == "artifacts" and default.get("Compress") is True, "artifacts compressed at the edge")
    expect(default["CachePolicyId"] == {"Ref": "ArtifactsCachePolicy"}, "artifacts use the Cache-Control-honouring policy")
    expect(default["ResponseHeadersPolicyId"] == {"Ref": "ArtifactsResponseHeadersPolicy"}, "artifacts get CORS + Timing-Allow-Origin")
    expect(default.get("FunctionAssociations") == [{"EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": ["PickBrotliFunction", "FunctionMetadata.FunctionARN"]}}],
           "artifacts: the viewer-request function picks the brotli object of format-2 files")
    pick = res.get("PickBrotliFunction", {}).get("Properties", {})
    expect(pick.get("FunctionConfig", {}).get("Runtime") == "cloudfront-js-2.0" and pick.get("AutoPublish") is True,
           "the brotli function is published, runtime cloudfront-js-2.0")
    expect(pick.get("FunctionCode") == (ROOT / "cdn/pick-brotli.js").read_text(), "the brotli function's code is cdn/pick-brotli.js")
    behaviours = [(b["PathPattern"], b) for b in dist["CacheBehaviors"]]
    order = [p for p, _ in behaviours]
    expect(order == ["/v1/resolve", "/v1/go", "/v1/*"], f"lookups before the /v1/* catch-all, got {order}")
    for path, b in behaviours:
        expect(b["TargetOriginId"] == "logger", f"{path} goes to the function")
        expect(b["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST, f"{path} forwards viewer + CloudFront-Viewer-* headers, not Host")
        expect(b["ViewerProtocolPolicy"] == "https-only", f"{path} is https only")
        if path == "/v1/*":
            expect("POST" in b["AllowedMethods"], "beacons (POST) reach the function")
            expect(b["CachePolicyId"] == CACHING_DISABLED, "beacons are never cached")
        else:
            expect("POST" not in b["AllowedMethods"], f"{path} is GET only")
            expect(b["CachePolicyId"] == {"Ref": "LookupCachePolicy"}, f"{path} cached per query string")

    def cache_params(name):
        return res[name]["Properties"]["CachePolicyConfig"]

    art = cache_params("ArtifactsCachePolicy")
    look = cache_params("LookupCachePolicy")
    for name, p in (("artifacts", art), ("lookup", look)):
        k = p["ParametersInCacheKeyAndForwardedToOrigin"]
        expect(k["EnableAcceptEncodingBrotli"] and k["EnableAcceptEncodingGzip"], f"{name} cache policy: brotli and gzip")
        expect(p["MinTTL"] == 0, f"{name} cache policy: MinTTL 0, so the origin's Cache-Control (max-age=60) rules")
    expect(art["MaxTTL"] >= 31536000, "hashed files may stay a year (their Cache-Control says so)")
    expect(art["ParametersInCacheKeyAndForwardedToOrigin"]["QueryStringsConfig"]["QueryStringBehavior"] == "none", "artifacts keyed on the path only")
    lk = look["ParametersInCacheKeyAndForwardedToOrigin"]
    expect(lk["QueryStringsConfig"]["QueryStringBehavior"] == "all", "lookups keyed per query string")
    expect("Origin" in lk["HeadersConfig"].get("Headers", []), "lookups keyed per Origin (their CORS answer names it)")

    rhp = res["ArtifactsResponseHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    custom = {h["Header"]: h["Value"] for h in rhp["CustomHeadersConfig"]["Items"]}
    expect(custom.get("Timing-Allow-Origin") == "*", "Timing-Allow-Origin: *")
    cors = rhp["CorsConfig"]
    expect(cors["AccessControlAllowMethods"]["Items"] == ["GET", "HEAD"], "CORS GET/HEAD")
    expect("ETag" in cors["AccessControlExposeHeaders"]["Items"], "CORS exposes ETag")

    statements = res["ArtifactsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    allow = [s for s in statements if s["Effect"] == "Allow"]
    expect(len(allow) == 1 and allow[0]["Principal"] == {"Service": "cloudfront.amazonaws.com"}
           and "Distribution" in json.dumps(allow[0]["Condition"]), "only this distribution reads the bucket")
    expect(any(s["Effect"] == "Deny" and "builds/*" in json.dumps(s["Resource"]) for s in statements),
           "the publisher's builds/ (history.json) is not served")

    waf = res.get("WebAcl")
    if waf is not None:
        expect(waf.get("Condition") == "CreateWaf", "the web ACL exists only where CloudFront ACLs can (us-east-1)")
        p = waf["Properties"]
        expect(p["Scope"] == "CLOUDFRONT", "web ACL scope CLOUDFRONT")
        rate = p["Rules"][0]["Statement"]["RateBasedStatement"]
        expect(rate["ScopeDownStatement"]["ByteMatchStatement"]["SearchString"] == "/v1/", "rate limit scoped to /v1/")
        expect(dist["WebACLId"]["Fn::If"][0] == "CreateWaf", "the distribution uses the web ACL when there is one")
    if fail:
        raise SystemExit("static checks of the transformed template failed:\n  " + "\n  ".join(fail))


# --------------------------------------------------------------------------------------------
# A small evaluator of CloudFormation intrinsics, for the resources created through APIs.

class Resolver:
    def __init__(self, cfn, params, physical, attrs):
        self.cfn, self.params, self.physical, self.attrs = cfn, params, physical, attrs
        self.pseudo = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws",
                       "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": None}

    def ref(self, name):
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.params:
            return self.params[name]
        if name in self.physical:
            return self.physical[name]
        raise KeyError(f"unresolved Ref {name}")

    def getatt(self, name, attr):
        key = f"{name}.{attr}"
        if key not in self.attrs:
            raise KeyError(f"unresolved GetAtt {key}")
        return self.attrs[key]

    def condition(self, name):
        return bool(self.value(self.cfn.get("Conditions", {})[name]))

    def sub(self, text, extra):
        def one(m):
            var = m.group(1)
            if var.startswith("!"):
                return "${" + var[1:] + "}"
            if var in extra:
                return str(extra[var])
            if "." in var and var.split(".")[0] not in self.params:
                return str(self.getatt(*var.split(".", 1)))
            v = self.ref(var)
            return ",".join(v) if isinstance(v, list) else str(v)
        out = re.sub(r"\$\{([^}]+)\}", one, text)
        # Dynamic references, which CloudFormation resolves last.
        return re.sub(r"\{\{resolve:secretsmanager:(.+?):SecretString\}\}",
                      lambda m: client("secretsmanager").get_secret_value(SecretId=m.group(1))["SecretString"], out)

    def value(self, node):
        if isinstance(node, list):
            out = [self.value(x) for x in node]
            return [x for x in out if x is not None]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (k, v), = node.items()
            if k == "Ref":
                return self.ref(v)
            if k == "Fn::GetAtt":
                name, attr = v if isinstance(v, list) else v.split(".", 1)
                return self.getatt(name, attr)
            if k == "Fn::Sub":
                if isinstance(v, list):
                    return self.sub(v[0], {n: self.value(x) for n, x in v[1].items()})
                return self.sub(v, {})
            if k == "Fn::Join":
                return v[0].join(str(x) for x in self.value(v[1]))
            if k == "Fn::Select":
                return self.value(v[1])[int(self.value(v[0]))]
            if k == "Fn::Split":
                return self.value(v[1]).split(v[0])
            if k == "Fn::If":
                return self.value(v[1] if self.condition(v[0]) else v[2])
            if k == "Fn::Equals":
                return self.value(v[0]) == self.value(v[1])
            if k == "Fn::Not":
                return not self.value(v[0])
            if k == "Fn::And":
                return all(self.value(x) for x in v)
            if k == "Fn::Or":
                return any(self.value(x) for x in v)
            if k == "Condition":
                return self.condition(v)
        out = {k: self.value(v) for k, v in node.items()}
        return {k: v for k, v in out.items() if v is not None}


def mentions(node, names):
    """Which of `names` a template fragment refers to (Ref, GetAtt, ${X} in Sub)."""
    text = json.dumps(node)
    found = set()
    for n in names:
        if re.search(rf'"Ref": "{n}"|"Fn::GetAtt": \["{n}"|\$\{{{n}[.}}]', text):
            found.add(n)
    return found


# --------------------------------------------------------------------------------------------
# CloudFront: the template's DistributionConfig in the API's shape ({Quantity, Items} lists).

def items(lst):
    return {"Quantity": len(lst), "Items": lst}


def cf_behaviour(b):
    out = {k: v for k, v in b.items() if k not in ("AllowedMethods", "CachedMethods", "FunctionAssociations")}
    if "FunctionAssociations" in b:
        out["FunctionAssociations"] = items(b["FunctionAssociations"])
    out["AllowedMethods"] = items(b["AllowedMethods"])
    out["AllowedMethods"]["CachedMethods"] = items(b.get("CachedMethods", ["GET", "HEAD"]))
    return out


def cf_distribution_config(d, caller):
    origins = []
    for o in d["Origins"]:
        api = {"Id": o["Id"], "DomainName": o["DomainName"], "OriginPath": o.get("OriginPath", "")}
        if "S3OriginConfig" in o:
            api["S3OriginConfig"] = o["S3OriginConfig"]
            api["OriginAccessControlId"] = o.get("OriginAccessControlId", "")
        if "CustomOriginConfig" in o:
            c = o["CustomOriginConfig"]
            api["CustomOriginConfig"] = {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": c["OriginProtocolPolicy"],
                                         "OriginSslProtocols": items(c.get("OriginSSLProtocols", ["TLSv1.2"]))}
        api["CustomHeaders"] = items(o.get("OriginCustomHeaders", []))
        origins.append(api)
    return {
        "CallerReference": caller, "Comment": d.get("Comment", ""), "Enabled": d["Enabled"],
        "Aliases": items(d.get("Aliases", [])), "Origins": items(origins),
        "DefaultCacheBehavior": cf_behaviour(d["DefaultCacheBehavior"]),
        "CacheBehaviors": items([cf_behaviour(b) for b in d.get("CacheBehaviors", [])]),
        "PriceClass": d.get("PriceClass", "PriceClass_All"), "HttpVersion": d.get("HttpVersion", "http2"),
        "IsIPV6Enabled": d.get("IPV6Enabled", False), "WebACLId": d.get("WebACLId", ""),
        # The API spells these three differently from CloudFormation.
        "ViewerCertificate": {{"AcmCertificateArn": "ACMCertificateArn", "SslSupportMethod": "SSLSupportMethod",
                               "IamCertificateId": "IAMCertificateId"}.get(k, k): v
                              for k, v in d.get("ViewerCertificate", {"CloudFrontDefaultCertificate": True}).items()},
    }


def apply_bucket_properties(s3, bucket, p):
    if "VersioningConfiguration" in p:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration=p["VersioningConfiguration"])
    if "PublicAccessBlockConfiguration" in p:
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=p["PublicAccessBlockConfiguration"])
    if "OwnershipControls" in p:
        s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=p["OwnershipControls"])
    rules = []
    for r in p.get("LifecycleConfiguration", {}).get("Rules", []):
        api = {"ID": r["Id"], "Status": r["Status"], "Filter": {"Prefix": r.get("Prefix", "")}}
        if "Transitions" in r:
            api["Transitions"] = [{"Days": x["TransitionInDays"], "StorageClass": x["StorageClass"]} for x in r["Transitions"]]
        if "ExpirationInDays" in r:
            api["Expiration"] = {"Days": r["ExpirationInDays"]}
        elif r.get("ExpiredObjectDeleteMarker"):
            api["Expiration"] = {"ExpiredObjectDeleteMarker": True}
        for k in ("NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload"):
            if k in r:
                api[k] = r[k]
        rules.append(api)
    if rules:
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})


def wait_stack(cf, name):
    for _ in range(300):
        s = cf.describe_stacks(StackName=name)["Stacks"][0]
        if not s["StackStatus"].endswith("IN_PROGRESS"):
            return s
        time.sleep(0.2)
    raise SystemExit(f"stack {name} did not finish")


def create(stack_name, out_path, overrides):
    s3, cfn_api = client("s3"), client("cloudformation")
    declared = yaml_parse(TEMPLATE.read_text())["Parameters"]
    params = {p: v.get("Default") for p, v in declared.items()}
    params.update(overrides)
    # What Ref gives for each parameter: CommaDelimitedList ones are lists.
    values = {p: (str(v).split(",") if declared[p]["Type"] == "CommaDelimitedList" else v) for p, v in params.items()}

    # What `sam build && sam package` do: the functions' zip on S3. moto cannot run a function,
    # so the zip holds a placeholder `bootstrap`; the tests run the real binaries with the
    # environment the stack gave each function.
    code_bucket = f"{stack_name}-sam-artifacts".lower()
    s3.create_bucket(Bucket=code_bucket)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("bootstrap", "#!/bin/sh\necho placeholder: run target/*/lambda-logger\n")
    s3.put_object(Bucket=code_bucket, Key="lambda-logger.zip", Body=buf.getvalue())
    cfn = sam_transform(f"s3://{code_bucket}/lambda-logger.zip", params)
    check_static(cfn)

    from moto.cloudformation.parsing import get_model_map
    supported = set(get_model_map())
    conditions_resolver = Resolver(cfn, values, {}, {})
    present = {k: v for k, v in cfn["Resources"].items()
               if "Condition" not in v or conditions_resolver.condition(v["Condition"])}
    removed = {k: v for k, v in present.items() if v["Type"] not in supported}
    kept = {k: v for k, v in present.items() if k not in removed}

    # The origin-verify secret first: the logger's environment names it (a dynamic reference,
    # which moto does not resolve). Secrets Manager generates the value as CloudFormation would.
    sm = client("secretsmanager")
    secret_props = removed["OriginVerifySecret"]["Properties"]
    gen = secret_props["GenerateSecretString"]
    value = sm.get_random_password(PasswordLength=gen["PasswordLength"], ExcludePunctuation=gen["ExcludePunctuation"])["RandomPassword"]
    secret_name = Resolver(cfn, values, {}, {}).value(secret_props["Name"])
    secret_arn = sm.create_secret(Name=secret_name, SecretString=value)["ARN"]
    dynref = "{{resolve:secretsmanager:${OriginVerifySecret}:SecretString}}"
    text = json.dumps(kept).replace(json.dumps({"Fn::Sub": dynref}), json.dumps(value))
    kept = json.loads(text)
    for name, r in kept.items():
        left = mentions(r, removed)
        if left:
            raise SystemExit(f"{name} refers to {sorted(left)}, which moto's CloudFormation cannot create")

    outputs_removed = {k: v for k, v in cfn["Outputs"].items() if mentions(v, removed)}
    body = dict(cfn, Resources=kept, Outputs={k: v for k, v in cfn["Outputs"].items() if k not in outputs_removed})
    cfn_api.create_stack(StackName=stack_name, TemplateBody=json.dumps(body),
                         Parameters=[{"ParameterKey": k, "ParameterValue": ",".join(v) if isinstance(v, list) else str(v)}
                                     for k, v in overrides.items()],
                         Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
    stack = wait_stack(cfn_api, stack_name)
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise SystemExit(f"stack {stack_name}: {stack['StackStatus']} {stack.get('StackStatusReason', '')}")
    physical = {r["LogicalResourceId"]: r.get("PhysicalResourceId", r["LogicalResourceId"])
                for r in cfn_api.describe_stack_resources(StackName=stack_name)["StackResources"]}
    missing = set(kept) - set(physical)
    if missing:
        raise SystemExit(f"moto did not create {sorted(missing)}")

    # Attributes the removed resources and outputs use, from the live resources.
    sqs, lam, iam, logs = client("sqs"), client("lambda"), client("iam"), client("logs")
    attrs = {}
    for name, r in kept.items():
        t, pid = r["Type"], physical[name]
        if t == "AWS::S3::Bucket":
            attrs.update({f"{name}.Arn": f"arn:aws:s3:::{pid}", f"{name}.RegionalDomainName": f"{pid}.s3.{REGION}.amazonaws.com"})
        elif t == "AWS::SQS::Queue":
            url = sqs.get_queue_url(QueueName=pid.rsplit("/", 1)[-1])["QueueUrl"]
            physical[name] = url
            a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
            attrs.update({f"{name}.Arn": a["QueueArn"], f"{name}.QueueName": url.rsplit("/", 1)[-1]})
        elif t == "AWS::Lambda::Function":
            attrs[f"{name}.Arn"] = lam.get_function(FunctionName=pid)["Configuration"]["FunctionArn"]
        elif t == "AWS::IAM::Role":
            attrs[f"{name}.Arn"] = iam.get_role(RoleName=pid)["Role"]["Arn"]
        elif t == "AWS::Logs::LogGroup":
            attrs[f"{name}.Arn"] = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{pid}"
    physical["OriginVerifySecret"] = secret_arn
    # moto's CloudFormation applies only a bucket's name, encryption and tags: the rest of each
    # bucket's properties go through the S3 API (what CloudFormation calls for them).
    for name, r in kept.items():
        if r["Type"] == "AWS::S3::Bucket":
            apply_bucket_properties(s3, physical[name], Resolver(cfn, values, physical, attrs).value(r["Properties"]))
    resolve = Resolver(cfn, values, physical, attrs)
    how = {"stack": sorted(f"{k} {v['Type']}" for k, v in kept.items()), "api": [], "static": [],
           "properties_by_api": ["AWS::S3::Bucket: VersioningConfiguration, PublicAccessBlockConfiguration, OwnershipControls, "
                                 "LifecycleConfiguration (moto's CloudFormation ignores them)"]}

    def api(name, note):
        how["api"].append(f"{name} {removed[name]['Type']}: {note}")

    api("OriginVerifySecret", "secretsmanager CreateSecret with a generated value")
    for name, r in removed.items():
        props = r.get("Properties", {})
        t = r["Type"]
        if t == "AWS::Lambda::Url":
            p = resolve.value(props)
            out = lam.create_function_url_config(FunctionName=p["TargetFunctionArn"], AuthType=p["AuthType"],
                                                 InvokeMode=p.get("InvokeMode", "BUFFERED"))
            physical[name] = out["FunctionArn"]
            attrs[f"{name}.FunctionUrl"] = out["FunctionUrl"]
            api(name, "lambda CreateFunctionUrlConfig")
    cf = client("cloudfront")
    oac = removed["ArtifactsOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    out = cf.create_origin_access_control(OriginAccessControlConfig=resolve.value(oac))
    physical["ArtifactsOriginAccessControl"] = out["OriginAccessControl"]["Id"]
    attrs["ArtifactsOriginAccessControl.Id"] = out["OriginAccessControl"]["Id"]
    api("ArtifactsOriginAccessControl", "cloudfront CreateOriginAccessControl")
    fn = resolve.value(removed["PickBrotliFunction"]["Properties"])
    out = cf.create_function(Name=fn["Name"], FunctionConfig=fn["FunctionConfig"], FunctionCode=fn["FunctionCode"].encode())
    physical["PickBrotliFunction"] = fn["Name"]
    attrs["PickBrotliFunction.FunctionMetadata.FunctionARN"] = out["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]
    api("PickBrotliFunction", "cloudfront CreateFunction (its code is cdn/pick-brotli.js, tested by tests/deploy/pick-brotli.test.mjs)")
    for name in ("ArtifactsCachePolicy", "LookupCachePolicy", "ArtifactsResponseHeadersPolicy"):
        physical[name] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{stack_name}/{name}"))
        how["static"].append(f"{name} {removed[name]['Type']}: moto has no such API; its settings are checked on the template")
    if "WebAcl" in removed:
        waf = client("wafv2")
        p = resolve.value(removed["WebAcl"]["Properties"])
        out = waf.create_web_acl(**p)
        attrs["WebAcl.Arn"] = out["Summary"]["ARN"]
        physical["WebAcl"] = out["Summary"]["Id"]
        api("WebAcl", "wafv2 CreateWebACL (scope CLOUDFRONT, rate-based rule scoped to /v1/)")
    dist = resolve.value(removed["Distribution"]["Properties"]["DistributionConfig"])
    out = cf.create_distribution(DistributionConfig=cf_distribution_config(dist, stack_name))["Distribution"]
    physical["Distribution"] = out["Id"]
    attrs["Distribution.DomainName"] = out["DomainName"]
    got = cf.get_distribution_config(Id=out["Id"])["DistributionConfig"]
    paths = [b["PathPattern"] for b in got.get("CacheBehaviors", {}).get("Items", [])]
    if paths != ["/v1/resolve", "/v1/go", "/v1/*"]:
        raise SystemExit(f"moto's distribution has behaviours {paths}")
    api("Distribution", "cloudfront CreateDistribution with the template's DistributionConfig in the API's shape")
    for name, r in removed.items():
        t, props = r["Type"], r.get("Properties", {})
        if t == "AWS::S3::BucketPolicy":
            p = resolve.value(props)
            doc = p["PolicyDocument"]
            # moto evaluates a bucket policy's Deny statements, but on every caller (it ignores
            # their Principal) and over its plain http: the TLS-only Deny would refuse the tests
            # everything, the CloudFront-only Deny of builds/ the publisher. moto gets the policy
            # whole once (it must accept it), then without its Deny statements.
            s3.put_bucket_policy(Bucket=p["Bucket"], Policy=json.dumps(doc))
            s3.put_bucket_policy(Bucket=p["Bucket"], Policy=json.dumps(
                dict(doc, Statement=[s for s in doc["Statement"] if s["Effect"] != "Deny"])))
            physical[name] = p["Bucket"]
            api(name, "s3 PutBucketPolicy (then without its Deny statements: moto applies them to every caller, over http)")
        elif t == "AWS::Glue::Database":
            p = resolve.value(props)
            client("glue").create_database(CatalogId=p["CatalogId"], DatabaseInput=p["DatabaseInput"])
            physical[name] = p["DatabaseInput"]["Name"]
            api(name, "glue CreateDatabase")
    for name, r in removed.items():
        t, props = r["Type"], r.get("Properties", {})
        if t == "AWS::Glue::Table":
            p = resolve.value(props)
            client("glue").create_table(CatalogId=p["CatalogId"], DatabaseName=p["DatabaseName"], TableInput=p["TableInput"])
            physical[name] = p["TableInput"]["Name"]
            api(name, "glue CreateTable (the archive test reads it back and checks its projection against the keys)")
        elif t == "AWS::Athena::WorkGroup":
            p = resolve.value(props)
            client("athena").create_work_group(Name=p["Name"], Description=p.get("Description", ""), Configuration=p["WorkGroupConfiguration"])
            physical[name] = p["Name"]
            api(name, "athena CreateWorkGroup")
        elif t == "AWS::CloudWatch::Alarm":
            p = resolve.value(props)
            cw = client("cloudwatch")
            cw.put_metric_alarm(**p)
            # The alarm must watch a resource of this stack.
            dim = p["Dimensions"][0]["Value"]
            if dim not in {physical[k] for k in kept} | {attrs.get(f"{k}.QueueName") for k in kept}:
                raise SystemExit(f"alarm {p['AlarmName']} watches {dim}, which is not in the stack")
            if params.get("AlarmEmail") and not p.get("AlarmActions"):
                raise SystemExit(f"alarm {p['AlarmName']} has no action although AlarmEmail is set")
            physical[name] = p["AlarmName"]
            api(name, "cloudwatch PutMetricAlarm (its dimension is checked to be a stack resource)")
    left = set(removed) - set(physical)
    if left:
        raise SystemExit(f"no way to create {sorted(left)} on moto: add one to tests/deploy/stack.py")

    outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn_api.describe_stacks(StackName=stack_name)["Stacks"][0].get("Outputs", [])}
    for k, v in outputs_removed.items():
        outputs[k] = resolve.value(v["Value"])
    functions = {}
    for name, r in kept.items():
        if r["Type"] == "AWS::Lambda::Function":
            c = lam.get_function_configuration(FunctionName=physical[name])
            functions[name] = {"name": c["FunctionName"], "env": c.get("Environment", {}).get("Variables", {}),
                               "role": c["Role"], "architectures": c.get("Architectures")}
    esms = lam.list_event_source_mappings(FunctionName=physical["ArchiverFunction"])["EventSourceMappings"]
    verify_live(physical, attrs, functions, esms, params)
    # moto would "invoke" the archiver on every SendMessage through this mapping (it cannot run
    # it: no Docker) and so consume or dead-letter the events; the tests drive the archiver the
    # way the mapping does instead (receive a batch, invoke, delete all but batchItemFailures).
    for m in esms:
        lam.update_event_source_mapping(UUID=m["UUID"], Enabled=False)
    glue_table = client("glue").get_table(DatabaseName=physical["EventsDatabase"], Name=physical["EventsTable"])["Table"]
    headers_policy = resolve.value(removed["ArtifactsResponseHeadersPolicy"]["Properties"])["ResponseHeadersPolicyConfig"]
    result = {"stack": stack_name, "outputs": outputs, "physical": physical, "functions": functions,
              "distribution": got, "response_headers_policy": headers_policy,
              "event_source_mappings": esms, "glue_table": glue_table, "created": how, "origin_secret": value}
    check_outputs(outputs, got, params)
    Path(out_path).write_text(json.dumps(result, indent=1, default=str))
    print(json.dumps({"stack": stack_name, "resources": len(present), "by_cloudformation": len(how["stack"]),
                      "by_api": len(how["api"]), "static_only": len(how["static"])}))


def verify_live(physical, attrs, functions, esms, params):
    """What moto created matches what the issue asks for (queues, buckets, roles, mapping)."""
    sqs, s3, iam = client("sqs"), client("s3"), client("iam")
    fail = []

    def expect(cond, what):
        if not cond:
            fail.append(what)

    q = sqs.get_queue_attributes(QueueUrl=physical["EventsQueue"], AttributeNames=["All"])["Attributes"]
    redrive = json.loads(q.get("RedrivePolicy", "{}"))
    expect(redrive.get("deadLetterTargetArn") == attrs["EventsDeadLetterQueue.Arn"], "events queue dead-letters to the DLQ")
    expect(int(redrive.get("maxReceiveCount", 0)) == 5, "redrive after 5 receives")
    for name in ("EventsQueue", "EventsDeadLetterQueue"):
        a = sqs.get_queue_attributes(QueueUrl=physical[name], AttributeNames=["MessageRetentionPeriod"])["Attributes"]
        expect(a["MessageRetentionPeriod"] == "1209600", f"{name} keeps messages 14 days")
    art = physical["ArtifactsBucket"]
    expect(s3.get_bucket_versioning(Bucket=art).get("Status") == "Enabled", "artifacts bucket versioned")
    pab = s3.get_public_access_block(Bucket=art)["PublicAccessBlockConfiguration"]
    expect(all(pab.values()), "artifacts bucket blocks public access")
    rules = s3.get_bucket_lifecycle_configuration(Bucket=physical["EventsBucket"])["Rules"]
    expect(any(t.get("StorageClass") == "STANDARD_IA" for r in rules for t in r.get("Transitions", [])), "events move to infrequent access")
    rules = s3.get_bucket_lifecycle_configuration(Bucket=art)["Rules"]
    expect(any("NoncurrentVersionExpiration" in r for r in rules), "old artifact versions expire")

    def statements(role_arn):
        name = role_arn.rsplit("/", 1)[-1]
        out = []
        for p in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            doc = iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
            if isinstance(doc, str):  # moto keeps what its CloudFormation got, as Python's repr
                doc = ast.literal_eval(urllib.parse.unquote(doc))
            out += doc["Statement"]
        expect(not iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"], f"{name}: no managed policies")
        return out

    def grants(stmts):
        return {(a, r if isinstance(r, str) else tuple(r)) for s in stmts if s["Effect"] == "Allow"
                for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
                for r in [s["Resource"].removesuffix(":*")]}

    bucket_arn, prefix = attrs["ArtifactsBucket.Arn"], params["ArtifactsPrefix"]
    logger = grants(statements(functions["LoggerFunction"]["role"]))
    expect(logger == {("logs:CreateLogStream", attrs["LoggerLogGroup.Arn"]), ("logs:PutLogEvents", attrs["LoggerLogGroup.Arn"]),
                      ("s3:GetObject", f"{bucket_arn}/{prefix}/*"), ("s3:ListBucket", bucket_arn),
                      ("sqs:SendMessage", attrs["EventsQueue.Arn"])}, f"logger role is least privilege: {sorted(logger)}")
    archiver = grants(statements(functions["ArchiverFunction"]["role"]))
    events_arn = attrs["EventsBucket.Arn"]
    expect(archiver == {("logs:CreateLogStream", attrs["ArchiverLogGroup.Arn"]), ("logs:PutLogEvents", attrs["ArchiverLogGroup.Arn"]),
                        ("sqs:ReceiveMessage", attrs["EventsQueue.Arn"]), ("sqs:DeleteMessage", attrs["EventsQueue.Arn"]),
                        ("sqs:GetQueueAttributes", attrs["EventsQueue.Arn"]), ("s3:PutObject", f"{events_arn}/events/*")},
           f"archiver role is least privilege: {sorted(archiver)}")
    expect(len(esms) == 1 and esms[0]["EventSourceArn"] == attrs["EventsQueue.Arn"], "one mapping, from the events queue")
    if esms:
        m = esms[0]
        expect(m["FunctionResponseTypes"] == ["ReportBatchItemFailures"], "partial batch failures reported")
        expect(m["BatchSize"] == 1000 and m["MaximumBatchingWindowInSeconds"] == 60, "large batches (docs/LOGS.md)")
    env = functions["LoggerFunction"]["env"]
    expect(env.get("FORMROUTE_ARTIFACTS") == f"s3://{physical['ArtifactsBucket']}/{prefix}", "logger reads the publish location")
    # (moto's Ref is the amazonaws.com URL, its GetQueueUrl the local one: the same queue.)
    expect(env.get("FORMROUTE_QUEUE_URL", "").rsplit("/", 1)[-1] == attrs["EventsQueue.QueueName"], "logger sends to the events queue")
    expect(env.get("FORMROUTE_TRUST_CLOUDFRONT") == "1", "logger trusts CloudFront's viewer headers")
    expect(functions["ArchiverFunction"]["env"].get("FORMROUTE_ARCHIVE_TO") == f"s3://{physical['EventsBucket']}", "archiver writes the events bucket")
    if fail:
        raise SystemExit("the stack on moto is not what template.yaml promises:\n  " + "\n  ".join(fail))


def check_outputs(o, dist, params):
    """The outputs agree with each other and with the distribution (custom domain or not)."""
    host = params.get("DomainName") or dist.get("DomainName") or o["CdnBaseUrl"].split("/")[2]
    fail = []
    if params.get("DomainName"):
        if dist.get("Aliases", {}).get("Items") != [params["DomainName"]]:
            fail.append(f"the distribution answers for {params['DomainName']}")
        if dist["ViewerCertificate"].get("ACMCertificateArn") != params.get("CertificateArn"):
            fail.append("the distribution uses the given certificate")
    base = f"https://{host}/{params['ArtifactsPrefix']}/"
    if o["CdnBaseUrl"] != base:
        fail.append(f"CdnBaseUrl is {base}, not {o['CdnBaseUrl']}")
    if o["BeaconUrl"] != f"https://{host}/v1/events":
        fail.append(f"BeaconUrl is on {host}: {o['BeaconUrl']}")
    tag = o["SnippetTag"]
    for want in (f'src="{base}formroute.min.js"', f'data-base="{base}"', f'data-beacon-url="{o["BeaconUrl"]}"',
                 f'data-fallback-url="{params["FallbackUrl"]}"'):
        if want not in tag:
            fail.append(f"SnippetTag has {want}: {tag}")
    want = (f"formroute publish --artifacts out --bucket {o['PublishBucket']} --prefix {o['PublishPrefix']} "
            f"--distribution {o['DistributionId']} --cdn-base {base}")
    if o["PublishCommand"] != want:
        fail.append(f"PublishCommand is {want}")
    if fail:
        raise SystemExit("the stack's outputs are inconsistent:\n  " + "\n  ".join(fail))


def check_ddl(cfn, params):
    """docs/LOGS.md's CREATE EXTERNAL TABLE is the template's Glue table (default parameters, bucket BUCKET)."""
    text = (ROOT / "docs/LOGS.md").read_text()
    m = re.search(r"```sql\n(CREATE EXTERNAL TABLE (\S+) \((.*?)\n\)\n(.*?));\n```", text, re.S)
    if not m:
        raise SystemExit("docs/LOGS.md has no CREATE EXTERNAL TABLE block")
    name, body, rest = m.group(2), m.group(3), m.group(4)
    columns = [tuple(c.strip().rstrip(",").replace("`", "").split()) for c in body.strip().splitlines()]
    parts = [tuple(c.strip().replace("`", "").split()) for c in re.search(r"PARTITIONED BY \((.*?)\)", rest).group(1).split(",")]
    props = dict(re.findall(r"'([^']+)' = '([^']*)'", re.search(r"TBLPROPERTIES \((.*)\)", rest, re.S).group(1)))
    serde_props = dict(re.findall(r"'([^']+)' = '([^']*)'", re.search(r"SERDEPROPERTIES \((.*?)\)", rest).group(1)))
    table = Resolver(cfn, params, {"EventsBucket": "BUCKET", "EventsDatabase": "formroute_prod"}, {}).value(
        cfn["Resources"]["EventsTable"]["Properties"])
    ti, sd = table["TableInput"], table["TableInput"]["StorageDescriptor"]
    want = {
        "name": f"{table['DatabaseName']}.{ti['Name']}",
        "columns": [(c["Name"], c["Type"]) for c in sd["Columns"]],
        "partitions": [(c["Name"], c["Type"]) for c in ti["PartitionKeys"]],
        "properties": ti["Parameters"], "serde": sd["SerdeInfo"]["SerializationLibrary"],
        "serde_properties": sd["SerdeInfo"]["Parameters"], "input": sd["InputFormat"], "output": sd["OutputFormat"],
        "location": sd["Location"],
    }
    got = {
        "name": name, "columns": columns, "partitions": parts, "properties": props,
        "serde": re.search(r"ROW FORMAT SERDE '([^']+)'", rest).group(1), "serde_properties": serde_props,
        "input": re.search(r"INPUTFORMAT '([^']+)'", rest).group(1), "output": re.search(r"OUTPUTFORMAT '([^']+)'", rest).group(1),
        "location": re.search(r"LOCATION '([^']+)'", rest).group(1),
    }
    diff = [f"{k}: docs/LOGS.md has {got[k]!r}, template.yaml {want[k]!r}" for k in want if got[k] != want[k]]
    if diff:
        raise SystemExit("docs/LOGS.md's DDL differs from template.yaml's EventsTable:\n  " + "\n  ".join(diff))


def main(cmd, *args):
    if cmd == "create":
        name, out, *kv = args
        create(name, out, dict(x.split("=", 1) for x in kv))
    elif cmd == "check":
        declared = yaml_parse(TEMPLATE.read_text())["Parameters"]
        params = {p: (v["Default"].split(",") if v["Type"] == "CommaDelimitedList" else v.get("Default"))
                  for p, v in declared.items()}
        check_sam_build()
        cfn = sam_transform("s3://example-bucket/lambda-logger.zip", {})
        check_static(cfn)
        check_ddl(cfn, params)
        if args:
            Path(args[0]).write_text(json.dumps(cfn, indent=1))
        print("template.yaml: SAM transform, static checks and docs/LOGS.md's DDL agree", file=sys.stderr)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(*sys.argv[1:])
