# The app image for docker-compose.yml (the database runs in the official PostGIS image).
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml README.md constraints.txt ./
# the migrations and rules are inside the package; data/ holds the sample region
COPY gis_service ./gis_service
COPY data ./data
RUN pip install -c constraints.txt -e . \
    && useradd --system --no-create-home --shell /usr/sbin/nologin gis \
    && chown -R gis data
# the service runs unprivileged (it writes only the generated sample tracks under data/)
USER gis
EXPOSE 8000
# DATABASE_URL points at the compose database: no local cluster, no apt inside the image
CMD ["sh", "-c", "gis-service setup --no-install && gis-service serve --host 0.0.0.0 --port 8000"]
