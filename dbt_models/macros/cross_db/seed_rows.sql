{#- Seed rows on Spark. dbt-spark's session method binds each value as '<value>' text with no
    escaping, and numbers as floats: a quote in a description breaks the statement, an empty
    cell becomes the text 'None' and a price passes through a double. Here each value is
    written as a literal instead: null, the exact decimal text, or an escaped string, cast to
    the column's type (seeds/*.yml). -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
            ({%- for col_name in agate_table.column_names -%}
                {%- set inferred = adapter.convert_type(agate_table, loop.index0) -%}
                {%- set type = column_override.get(col_name, inferred) -%}
                {%- set value = row[loop.index0] -%}
                cast({{ spark_seed_literal(value) }} as {{ type }})
                {%- if not loop.last %}, {% endif -%}
            {%- endfor -%}){%- if not loop.last %},{% endif %}
            {% endfor -%}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first %}{% do statements.append(sql) %}{% endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}

{% macro spark_seed_literal(value) -%}
    {%- if value is none -%}null
    {%- elif value is sameas true -%}true
    {%- elif value is sameas false -%}false
    {%- elif value is number -%}{{ value }}
    {%- else -%}'{{ (value | string) | replace('\\', '\\\\') | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}
