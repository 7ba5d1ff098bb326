{#- Incremental request-grain and daily models, keyed by day (README, "Incremental runs").

    Each incremental model rebuilds a set of whole days: before it runs, `incremental_plan`
    (a pre_hook) writes the days to rebuild into the run log `intermediate._incremental_days`
    as 'pending' and deletes them from the model's table; the model selects only those days
    (`incremental_days_filter`); `incremental_done` (a post_hook) marks them 'done'. A row with
    a null day is the build's own record: when, the raw watermark it saw, its fingerprint.

    Which days: for a staging model, the days of raw rows loaded since its last build, the days
    of rows it holds whose file is gone or was replaced (a retracted or re-delivered log file
    deletes its raw rows), every day holding a copy of a request id either touches (duplicate
    deliveries keep the first loaded copy), and the last `lookback_days` days. For a model
    downstream, the days its incremental parents rebuilt since its own last build, and the
    lookback; with the var backfill_from (YYYY-MM-DD), every day from it on. Every day is
    rebuilt when the fingerprint changes (the model's SQL, the lookup tables it joins: price
    catalog, org seeds, model matches; the vars it reads) or a parent was rebuilt in full. -#}

{% macro incremental_log() -%}
    intermediate._incremental_days
{%- endmacro %}

{#- An order-independent content hash of small lookup relations, the model's own SQL and
    the given values: when it changes, every day is rebuilt. -#}
{% macro incremental_fingerprint(relations=[], values=[]) -%}
    md5(concat_ws('/', '{{ local_md5(model.raw_code) }}', '{{ local_md5(values | join("|")) }}'
    {%- for relation in relations %},
        (select md5(coalesce(string_agg(cast(fingerprinted as varchar), '|' order by cast(fingerprinted as varchar)), ''))
         from {{ relation }} as fingerprinted)
    {%- endfor %}))
{%- endmacro %}

{#- on-run-start (dbt_project.yml): once, before models run in parallel. -#}
{% macro default__incremental_log_setup() -%}
    create schema if not exists intermediate;
    create table if not exists {{ incremental_log() }} (
        model varchar not null,
        day date,                  -- null: the build's own record
        status varchar not null,   -- pending | done | tested (incremental_tests_passed)
        full_rebuild boolean not null,
        built_at timestamptz not null,
        watermark timestamptz,     -- max(loaded_at) of the raw source when it was built
        fingerprint varchar
    );
{%- endmacro %}

{#- The days to rebuild for a staging model over a raw log source.
    source_rel: the raw table; id_column: its request id (the staged request_id); ts_column:
    its timestamp (the day is its UTC date). -#}
{% macro _staging_changed_days(source_rel, id_column, ts_column) -%}
    with
    last_build as (
        select max(watermark) as watermark from {{ incremental_log() }}
        where model = '{{ this.name }}' and status = 'done'
    ),
    live_loads as (
        select distinct source_file, loaded_at from {{ source_rel }}
    ),
    touched as (
        -- rows loaded since the last build
        select {{ id_column }} as request_id, cast({{ ts_column }} as date) as day
        from {{ source_rel }}
        where loaded_at > coalesce((select watermark from last_build), '-infinity'::timestamptz)
        union all
        -- rows whose load is gone from raw (a retracted or replaced file)
        select held.request_id, held.request_date
        from {{ this }} as held
        anti join live_loads
            on held.source_file = live_loads.source_file
            and held.loaded_at = live_loads.loaded_at
    )
    select day from touched
    union
    select held.request_date from {{ this }} as held
    semi join touched on held.request_id = touched.request_id
    union
    select cast(raw_rows.{{ ts_column }} as date) from {{ source_rel }} as raw_rows
    semi join touched on raw_rows.{{ id_column }} = touched.request_id
{%- endmacro %}

{#- The days to rebuild for a model downstream of incremental parents (names of models). -#}
{% macro _downstream_changed_days(parents, day_column) -%}
    with
    last_build as (
        select max(built_at) as built_at from {{ incremental_log() }}
        where model = '{{ this.name }}' and status = 'done'
    )
    select day from {{ incremental_log() }}
    where model in ({% for parent in parents %}'{{ parent }}'{% if not loop.last %}, {% endif %}{% endfor %})
        and status = 'done' and day is not null
        and built_at > coalesce((select built_at from last_build), '-infinity'::timestamptz)
{%- endmacro %}

{#- pre_hook of a request-grain model downstream of one incremental parent: the days `parent`
    rebuilt (its request_date), a fingerprint of the lookup relations and values it reads,
    and with days_after the days after each of them too. -#}
{% macro incremental_plan_after(parent, relations=[], values=[], days_after=0) -%}
    {{ return(incremental_plan(
        'request_date', 'select request_date from ' ~ ref(parent),
        incremental_fingerprint(relations, values), parents=[parent], days_after=days_after)) }}
{%- endmacro %}

{#- pre_hook of an incremental model: plan the days to rebuild and delete them.
    Either source_rel/id_column/ts_column (staging) or parents (downstream) are given;
    all_days_sql lists every day the inputs hold (for a rebuild of every day). -#}
{% macro default__incremental_plan(day_column, all_days_sql, fingerprint, source_rel=none, id_column=none, ts_column=none, parents=[], days_after=0) -%}
    {%- if is_incremental() %}
    insert into {{ incremental_log() }}
    with
    previous as (
        select fingerprint from {{ incremental_log() }}
        where model = '{{ this.name }}' and status = 'done' and day is null
        order by built_at desc limit 1
    ),
    parent_rebuilt_in_full as (
        select count(*) > 0 as yes from {{ incremental_log() }}
        where status = 'done' and day is null and full_rebuild
            and model in ({% for parent in parents %}'{{ parent }}', {% endfor %}'')
            and built_at > coalesce(
                (select max(built_at) from {{ incremental_log() }}
                 where model = '{{ this.name }}' and status = 'done'), '-infinity'::timestamptz)
    ),
    rebuild_all as (
        select (select fingerprint from previous) is distinct from {{ fingerprint }}
            or (select yes from parent_rebuilt_in_full) as yes
    ),
    changed as (
        {%- if source_rel is not none %}
        {{ _staging_changed_days(source_rel, id_column, ts_column) }}
        {%- else %}
        {{ _downstream_changed_days(parents, day_column) }}
        {%- endif %}
    ),
    lookback as (
        select distinct {{ day_column }} as day from {{ this }}
        where {{ day_column }} > (select max({{ day_column }}) from {{ this }}) - {{ var('lookback_days', 3) | int }}
    ),
    every_day as (
        select distinct {{ day_column }} as day from {{ this }}
        union
        select day from ({{ all_days_sql }}) as input_days (day)
    ),
    days as (
        -- the days of a build that failed after deleting them are still pending: redo them
        select day from {{ incremental_log() }} where model = '{{ this.name }}' and status = 'pending'
        union
        select day from changed where not (select yes from rebuild_all)
        {%- for offset in range(1, days_after + 1) %}
        union
        -- a day's rows depend on the days before it (days_after): the days after a change too
        select cast(day + {{ offset }} as date) from changed where not (select yes from rebuild_all)
        {%- endfor %}
        union
        select day from lookback where not (select yes from rebuild_all)
        union
        select day from every_day where (select yes from rebuild_all)
        {%- if var('backfill_from', none) %}
        union
        -- a backfill (aifinops-run --backfill-from): every day from that one on
        select day from every_day
        where day >= date '{{ modules.datetime.date.fromisoformat(var("backfill_from") | string) }}'
        {%- endif %}
    )
    select '{{ this.name }}', day, 'pending', false, current_timestamp, null, null
    from days where day is not null
    union all
    select '{{ this.name }}', null, 'pending', (select yes from rebuild_all), current_timestamp,
        {% if source_rel is not none %}(select max(loaded_at) from {{ source_rel }}){% else %}null{% endif %},
        {{ fingerprint }};
    delete from {{ this }}
    where {{ day_column }} in (
        select day from {{ incremental_log() }} where model = '{{ this.name }}' and status = 'pending'
    );
    {%- else %}
    -- a full build (first run, --full-refresh): record it; models downstream rebuild every day
    delete from {{ incremental_log() }} where model = '{{ this.name }}';
    insert into {{ incremental_log() }}
    select '{{ this.name }}', null, 'pending', true, current_timestamp,
        {% if source_rel is not none %}(select max(loaded_at) from {{ source_rel }}){% else %}null{% endif %},
        {{ fingerprint }};
    {%- endif %}
{%- endmacro %}

{#- The model's filter on its input: only the days being rebuilt (every day on a full build),
    and with days_before the days before each of them as well (the context a day's rows need). -#}
{% macro default__incremental_days_filter(day_expression, days_before=0) -%}
    {%- if is_incremental() -%}
    {{ day_expression }} in (
        select day from {{ incremental_log() }} where model = '{{ this.name }}' and status = 'pending'
        {%- for offset in range(1, days_before + 1) %}
        union all
        select cast(day - {{ offset }} as date) from {{ incremental_log() }}
        where model = '{{ this.name }}' and status = 'pending'
        {%- endfor %}
    )
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}

{#- post_hook: the planned days are built. On a full build, every day the model holds is
    recorded, so that models downstream see them. -#}
{% macro default__incremental_done(day_column) -%}
    {%- if not is_incremental() %}
    insert into {{ incremental_log() }}
    select distinct '{{ this.name }}', {{ day_column }}, 'pending', false, current_timestamp, null, null
    from {{ this }} where {{ day_column }} is not null;
    {%- endif %}
    update {{ incremental_log() }} set status = 'done', built_at = current_timestamp
    where model = '{{ this.name }}' and status = 'pending';
{%- endmacro %}

{#- For data tests: a filter to the days the model rebuilt since the last dbt invocation in
    which every data test on it passed (every day when one of those builds was a full build,
    or when it has no build record). Not only the last build's days: a day whose test failed
    stays in scope until a run passes it, so re-running with nothing new cannot make a failure
    disappear. Heavy row-level tests on the request grain use it (README, "Scoped tests"). -#}
{% macro default__rebuilt_days_only(model_name, day_column) -%}
    {%- set since -%}
        coalesce((select max(built_at) from {{ incremental_log() }}
                  where model = '{{ model_name }}' and status = 'tested'),
                 '-infinity'::timestamptz)
    {%- endset -%}
    (
        not exists (select 1 from {{ incremental_log() }}
                    where model = '{{ model_name }}' and day is null and status = 'done')
        or exists (select 1 from {{ incremental_log() }}
                   where model = '{{ model_name }}' and day is null and status = 'done'
                       and full_rebuild and built_at > {{ since }})
        or {{ day_column }} in (
            select day from {{ incremental_log() }}
            where model = '{{ model_name }}' and status = 'done' and day is not null
                and built_at > {{ since }}
        )
    )
{%- endmacro %}

{#- on-run-end: a 'tested' row for each model every data test of this invocation that reads it
    passed (at least one ran; skipped, warned, failed or errored tests leave no row): the days
    it rebuilt before now no longer need a scoped test. An invocation without data tests (dbt
    run) records nothing. -#}
{% macro default__incremental_tests_passed(results) -%}
    {%- set passed = {} -%}
    {%- for result in results if result.node.resource_type == 'test' -%}
        {%- for parent in result.node.depends_on.nodes if parent.startswith('model.') -%}
            {%- set name = parent.split('.')[-1] -%}
            {%- do passed.update({name: passed.get(name, true) and result.status == 'pass'}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set models = [] -%}
    {%- for name, ok in passed | dictsort if ok -%}{%- do models.append(name) -%}{%- endfor -%}
    {%- if models %}
    insert into {{ incremental_log() }}
    select model, null, 'tested', false, current_timestamp, null, null
    from (values {% for name in models %}('{{ name }}'){% if not loop.last %}, {% endif %}{% endfor %}) as tested (model)
    where model in (select model from {{ incremental_log() }})
    {%- endif %}
{%- endmacro %}

{#- dbt's test `where` config, with one placeholder: `where: __rebuilt_days__` restricts a test
    to the days `rebuilt_days_only` gives for the tested model (dbt does not allow custom macros
    in a test's config, so the placeholder is replaced here). -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- if '__rebuilt_days__' in where -%}
            {%- set where = where | replace('__rebuilt_days__', rebuilt_days_only(relation.identifier, 'request_date')) -%}
        {%- endif -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
