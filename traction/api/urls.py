from ninja import NinjaAPI

api = NinjaAPI(title="Traction API", version="1", urls_namespace="api")
