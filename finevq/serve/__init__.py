"""The HTTP service and web page (`finevq serve`), and the same page as a static report (`finevq report`).

Nothing is imported here: worker processes import `finevq.serve.jobs` and should not pay
for FastAPI. Start from `finevq.serve.app.create_app` and `finevq.serve.settings.Settings`.
"""
