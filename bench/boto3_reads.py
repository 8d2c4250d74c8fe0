#!/usr/bin/env python3
"""Sequential boto3 control-plane reads against one server: the latency a typical SDK caller sees.

Prints one JSON object: {"GetFunction": [ms, ...], "ListFunctions": [ms, ...]} (per-call wall time,
client-side serialization, signing and parsing included). Called by `Lamina.Benchmarks control-plane`.
"""
import argparse
import json
import sys
import time

import boto3
from botocore.config import Config


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--access-key", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--function", required=True)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--page", type=int, default=50)
    args = parser.parse_args()

    client = boto3.client(
        "lambda",
        endpoint_url=args.endpoint,
        region_name=args.region,
        aws_access_key_id=args.access_key,
        aws_secret_access_key=args.secret,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, max_pool_connections=1),
    )
    operations = {
        "GetFunction": lambda: client.get_function(FunctionName=args.function),
        "ListFunctions": lambda: client.list_functions(MaxItems=args.page),
    }
    result = {}
    for name, call in operations.items():
        for _ in range(args.warmup):
            call()
        samples = []
        for _ in range(args.calls):
            start = time.perf_counter()
            call()
            samples.append((time.perf_counter() - start) * 1000.0)
        result[name] = samples
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
