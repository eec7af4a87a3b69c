"""Meeting-scale load benchmark over Streamlit's websocket protocol (issue 8).

protocol.py: one simulated viewer; plan.py: deep links and selector changes per page;
server.py: start/stop the app and sample its CPU and memory; scenarios.py: the scenarios;
report.py: Markdown tables; __main__.py: `python -m bench.load` (see bench/README.md).
"""
