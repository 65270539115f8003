#!/bin/sh
# First start of the compose PostgreSQL: the two roles and the database Quartermaster
# needs (docs/operations.md, "External PostgreSQL"). Runs once, as the superuser.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE qm_owner LOGIN PASSWORD '${QM_OWNER_PASSWORD}' NOSUPERUSER NOBYPASSRLS;
CREATE ROLE qm_app LOGIN PASSWORD '${QM_APP_PASSWORD}' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
CREATE DATABASE quartermaster OWNER qm_owner;
SQL
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname quartermaster <<SQL
ALTER SCHEMA public OWNER TO qm_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO qm_app;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
SQL
