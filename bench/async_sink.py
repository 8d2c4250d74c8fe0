"""The async benchmark's sink: the function POSTs one JSON line per event it starts; append each to a file.

Runs inside its own network namespace (bench/Lamina.Benchmarks/Async/SinkNamespace.cs), where the function's
sandbox reaches it through its egress. Usage: async_sink.py OUTPUT_FILE ADDRESS PORT
"""
import http.server
import os
import sys

output_fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)


class Report(http.server.BaseHTTPRequestHandler):
    # Keep-alive: each environment holds one connection for all its reports.
    protocol_version = 'HTTP/1.1'

    def do_POST(self):
        line = self.rfile.read(int(self.headers['Content-Length'])).rstrip(b'\n') + b'\n'
        # One write per line on an O_APPEND descriptor: lines from concurrent handlers never interleave.
        os.write(output_fd, line)
        self.send_response(204)
        self.send_header('Content-Length', '0')
        self.end_headers()

    def log_message(self, format, *args):
        pass


if __name__ == '__main__':
    server = http.server.ThreadingHTTPServer((sys.argv[2], int(sys.argv[3])), Report)
    server.daemon_threads = True
    server.serve_forever()
