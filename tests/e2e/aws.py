"""Test helper for the whole-system browser test: bucket, queue and object chores on the local moto server, with boto3.

Usage (AWS_ENDPOINT_URL points at moto):
  aws.py bucket NAME            create a bucket readable by anyone, with CORS for GET from any origin
  aws.py put BUCKET KEY FILE TYPE   upload a file with a content type
  aws.py queue NAME             create an SQS queue, print its URL
  aws.py receive URL N SECONDS  print up to N message bodies (one JSON per line) received within SECONDS
  aws.py sqs-event URL N SECONDS  receive up to N messages within SECONDS (not deleted), print them as
                                the SQS event Lambda's event source mapping gives the function
  aws.py delete URL HANDLE...   delete messages by receipt handle
  aws.py archive BUCKET         print every archived event, one {"key":...,"event":...} per line
"""
import gzip
import json
import os
import sys
import time

import boto3

ENDPOINT = os.environ["AWS_ENDPOINT_URL"]
KW = dict(endpoint_url=ENDPOINT, region_name="us-east-1",
          aws_access_key_id="testing", aws_secret_access_key="testing")


def main(cmd, *args):
    if cmd == "bucket":
        (name,) = args
        s3 = boto3.client("s3", **KW)
        s3.create_bucket(Bucket=name)
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                           "Resource": f"arn:aws:s3:::{name}/*"}]}))
        s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [{
            "AllowedOrigins": ["*"], "AllowedMethods": ["GET", "HEAD"],
            "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 3600}]})
    elif cmd == "put":
        bucket, key, path, ctype = args
        with open(path, "rb") as f:
            boto3.client("s3", **KW).put_object(Bucket=bucket, Key=key, Body=f.read(), ContentType=ctype)
    elif cmd == "queue":
        (name,) = args
        print(boto3.client("sqs", **KW).create_queue(QueueName=name)["QueueUrl"])
    elif cmd == "receive":
        url, n, seconds = args[0], int(args[1]), float(args[2])
        sqs = boto3.client("sqs", **KW)
        got = []
        end = time.time() + seconds
        while len(got) < n and time.time() < end:
            out = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for m in out.get("Messages", []):
                got.append(m["Body"])
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        for body in got:
            print(body)
    elif cmd == "sqs-event":
        url, n, seconds = args[0], int(args[1]), float(args[2])
        sqs = boto3.client("sqs", **KW)
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        records = []
        end = time.time() + seconds
        while len(records) < n and time.time() < end:
            out = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                      AttributeNames=["All"], MessageAttributeNames=["All"])
            for m in out.get("Messages", []):
                records.append({"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                                "attributes": m.get("Attributes", {}), "messageAttributes": {
                                    k: {"stringValue": v.get("StringValue"), "dataType": v["DataType"]}
                                    for k, v in m.get("MessageAttributes", {}).items()},
                                "md5OfBody": m["MD5OfBody"], "eventSource": "aws:sqs", "eventSourceARN": arn,
                                "awsRegion": "us-east-1"})
        print(json.dumps({"Records": records}))
    elif cmd == "delete":
        url, *handles = args
        sqs = boto3.client("sqs", **KW)
        for h in handles:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=h)
    elif cmd == "archive":
        (bucket,) = args
        s3 = boto3.client("s3", **KW)
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for o in [o for o in page.get("Contents", []) if o["Key"].endswith(".ndjson.gz")]:
                body = s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
                for line in gzip.decompress(body).decode().splitlines():
                    if line.strip():
                        print(json.dumps({"key": o["Key"], "event": json.loads(line)}))
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main(*sys.argv[1:])
