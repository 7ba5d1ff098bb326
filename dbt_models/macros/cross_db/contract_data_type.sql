{#- The data_type a mart column declares (models/marts/**/_*.yml) is DuckDB's, as `describe`
    prints it: the contract of the dev target and what BI tools read. On another engine a
    contract compares the engine's own type, so the declared name is mapped to it here, once,
    instead of a second data_type per column. -#}
{% macro contract_data_type(data_type) -%}
    {{ return(adapter.dispatch('contract_data_type', 'ai_finops')(data_type)) }}
{%- endmacro %}

{% macro default__contract_data_type(data_type) -%}
    {{ return(data_type) }}
{%- endmacro %}

{#- Spark: varchar needs a length there (a string is DuckDB's unbounded varchar); a timestamp
    is an instant (timestamptz); JSON is kept as its text; the rest share their names. -#}
{% macro spark__contract_data_type(data_type) -%}
    {%- set spark_types = {
        'varchar': 'string',
        'timestamp with time zone': 'timestamp',
        'timestamptz': 'timestamp',
        'json': 'string',
        'integer': 'int',
    } -%}
    {{ return(spark_types.get(data_type | trim | lower, data_type)) }}
{%- endmacro %}

{#- dbt checks a contract by comparing the model's query with an empty query built from the
    declared types (get_empty_schema_sql); on Spark the declared types are mapped first. -#}
{% macro spark__get_empty_schema_sql(columns) -%}
    {%- set mapped = {} -%}
    {%- for name in columns -%}
        {%- set column = columns[name].copy() -%}
        {%- if column.get('data_type') -%}
            {%- do column.update({'data_type': contract_data_type(column['data_type'])}) -%}
        {%- endif -%}
        {%- do mapped.update({name: column}) -%}
    {%- endfor -%}
    {{ return(dbt.default__get_empty_schema_sql(mapped)) }}
{%- endmacro %}
