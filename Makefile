# The one task runner. Targets are named as Pelican's quickstart names them, plus test/lint.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PACKAGE_FILES := $(VENV)/.package-files
# Node tools, each folder pinned by its package-lock.json: the Nu Html Checker for the tests in
# tools/, axe-core and Lighthouse for `make audit` in tools/audit/ (about 190 MB that
# `make test`, and so CI, would otherwise fetch and never use).
NODE_STAMP := tools/node_modules/.installed
AUDIT_NODE_STAMP := tools/audit/node_modules/.installed
# The extraction benchmark's peer: metascraper (npm), pinned in benchmarks/tools.
BENCH_NODE_STAMP := benchmarks/tools/node_modules/.installed
PELICAN := $(BIN)/pelican
# The one command-line front end (pyproject.toml [project.scripts]); `linkdigest --help`.
LINKDIGEST := $(BIN)/linkdigest

INPUTDIR := content
OUTPUTDIR := output
CONFFILE := pelicanconf.py
PUBLISHCONF := publishconf.py
PORT ?= 8000
PELICANOPTS ?=

.DEFAULT_GOAL := html
.PHONY: FORCE newsletter html clean regenerate serve devserver publish test lint format bench fetch links draft audit golden help system-packages bench-packages

help:
	@echo "make html        build the site into $(OUTPUTDIR)/ (sets up $(VENV) first if needed)"
	@echo "make test        run the whole test suite"
	@echo "make serve       serve $(OUTPUTDIR)/ on http://127.0.0.1:$(PORT)/ (PORT=...)"
	@echo "make devserver   rebuild on every change and reload the open browser page"
	@echo "make regenerate  rebuild on every change (no server)"
	@echo "make publish     production build, gates, deploy (TARGET=name DRY_RUN=1 SKIP_GATES=links ALLOW_UNVERIFIED=1)"
	@echo "make lint        ruff check and format check, mypy (strict) on the library"
	@echo "make bench       benchmarks: build speed, fetch speed, link checking, extraction (print figures)"
	@echo "make fetch URLS='https://a https://b'   titles and summaries as digest entries"
	@echo "make links       check every link of the site (exit 2 when one is dead; FILE=post.md: one post)"
	@echo "make draft MONTH=2026-11   draft (or merge into) the month's digest (DRAFT_ARGS=--dry-run)"
	@echo "make newsletter MONTH=2026-10   the email edition of a published digest (SEND=1 sends it)"
	@echo "make golden      rewrite the golden drafts in tests/golden/ from the current code (review the diff)"
	@echo "make audit       axe-core and Lighthouse on key pages, light and dark (needs chromium)"
	@echo "make clean       remove $(OUTPUTDIR)/ and caches"

# The environment is (re)built when missing, older than pyproject.toml, or when a file of the
# package was added or removed. The editable install is strict (a tree of links to the source
# files in build/): Pelican finds namespace plugins only in real pelican/plugins/ folders on
# sys.path, which setuptools' default editable finder does not make. Links see every edit, but
# not a new file, hence the list of the package's files, rewritten only when it changes.
$(STAMP): pyproject.toml $(PACKAGE_FILES)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' \
		--config-settings editable_mode=strict
	touch $(STAMP)

# `+`: run even by `make -n`, so that it shows whether the environment would be rebuilt.
$(PACKAGE_FILES): FORCE
	+@mkdir -p $(VENV) && find linkdigest plugins theme -type f ! -path '*/__pycache__/*' \
		! -name '.*' | LC_ALL=C sort > $@.new && if cmp -s $@.new $@; then rm $@.new; \
		else mv $@.new $@; fi

FORCE:

# Java, Node.js, rsync and git for the tests: installed when missing if this user can (root
# with apt-get), else named in one line (tools/system-packages).
system-packages:
	@tools/system-packages

# Hugo, the build benchmark's peer (Debian's package), installed the same way.
bench-packages:
	@tools/bench-packages

# --ignore-scripts: vnu-jar's install script would download a JDK; the system's Java is used.
$(NODE_STAMP): tools/package.json tools/package-lock.json | system-packages
	npm ci --ignore-scripts --no-audit --no-fund --prefix tools
	touch $(NODE_STAMP)

# --ignore-scripts: none of the audit's packages needs an install step (chromium is Debian's).
$(AUDIT_NODE_STAMP): tools/audit/package.json tools/audit/package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --prefix tools/audit
	touch $(AUDIT_NODE_STAMP)

# --ignore-scripts: none of them needs an install step, and the lock file pins what is fetched.
$(BENCH_NODE_STAMP): benchmarks/tools/package.json benchmarks/tools/package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --prefix benchmarks/tools
	touch $(BENCH_NODE_STAMP)

html: $(STAMP)
	$(PELICAN) $(INPUTDIR) -o $(OUTPUTDIR) -s $(CONFFILE) $(PELICANOPTS)

clean:
	rm -rf $(OUTPUTDIR) .cache

regenerate: $(STAMP)
	$(PELICAN) -r $(INPUTDIR) -o $(OUTPUTDIR) -s $(CONFFILE) $(PELICANOPTS)

serve: $(STAMP)
	$(PELICAN) -l $(INPUTDIR) -o $(OUTPUTDIR) -s $(CONFFILE) -b 127.0.0.1 -p $(PORT)

devserver: $(STAMP)
	PORT=$(PORT) $(BIN)/python scripts/devserver.py --port $(PORT) --settings $(CONFFILE)

# Production build (publishconf.py empties the output first), then gates and the deploy to
# TARGET (default: [publish] in linkdigest.toml). DRY_RUN=1 shows what would change;
# SKIP_GATES=links,content skips gates in an emergency, with a loud warning each;
# ALLOW_UNVERIFIED=1 publishes although some links could not be verified (said loudly).
publish: $(STAMP)
	$(PELICAN) $(INPUTDIR) -o $(OUTPUTDIR) -s $(PUBLISHCONF) --fatal warnings $(PELICANOPTS)
	$(LINKDIGEST) publish --output $(OUTPUTDIR) --pelican-settings $(PUBLISHCONF) \
		$(if $(TARGET),--target $(TARGET)) $(if $(filter 1 yes true,$(DRY_RUN)),--dry-run) \
		$(if $(SKIP_GATES),--skip-gates $(SKIP_GATES)) \
		$(if $(filter 1 yes true,$(ALLOW_UNVERIFIED)),--allow-unverified)

test: $(STAMP) $(NODE_STAMP) | system-packages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP) $(BENCH_NODE_STAMP) | bench-packages
	$(BIN)/python benchmarks/build_speed.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/fetch_speed.py
	$(BIN)/python benchmarks/link_check.py
	$(BIN)/python benchmarks/extraction.py

# URLS="https://a.example/ https://b.example/" or URLS_FILE=drafts/inbox.txt (the inbox format)
fetch: $(STAMP)
	$(LINKDIGEST) fetch $(URLS) $(if $(URLS_FILE),--file $(URLS_FILE)) $(FETCH_ARGS)

# Every link in content/ and on the pages the build just wrote (its record in $(OUTPUTDIR)/,
# not pages earlier builds left there); FILE=content/posts/x.md: only that file's links and
# the pages built from it. LINKS_ARGS="--format markdown" etc.
links: html
	$(LINKDIGEST) links $(FILE) --output $(OUTPUTDIR) --site-url http://127.0.0.1:$(PORT) \
		$(LINKS_ARGS)

# The email edition of the month's published digest, in newsletters/MONTH/ (never deployed);
# SEND=1 sends it (once; RESEND=1 again), DRY_RUN=1 only shows it.
newsletter: $(STAMP)
	$(LINKDIGEST) newsletter $(MONTH) $(if $(filter 1 yes true,$(SEND)),--send) \
		$(if $(filter 1 yes true,$(RESEND)),--resend) $(if $(filter 1 yes true,$(DRY_RUN)),--dry-run)

# Golden files (whole drafted digests) are rewritten from the current code; review the diff.
golden: $(STAMP)
	UPDATE_GOLDEN=1 $(BIN)/python -m pytest tests/test_draft_cli.py -q

# The month's digest draft from the [draft] sources in linkdigest.toml; exit 0 when it was
# written, skipped lines being warnings (DRAFT_ARGS=--strict makes them exit 2);
# DRAFT_ARGS="--dry-run" prints it instead, "--offline" never uses the network.
draft: $(STAMP)
	$(LINKDIGEST) draft $(MONTH) $(DRAFT_ARGS)

# Production build served on 127.0.0.1; axe-core and Lighthouse in chromium; exit 2 on problems.
audit: $(STAMP) $(AUDIT_NODE_STAMP)
	$(LINKDIGEST) audit $(AUDIT_ARGS)
