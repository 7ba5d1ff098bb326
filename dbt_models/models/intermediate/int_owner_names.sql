-- One row per owner kind (team, cost_center) x owner id: the readable name BI tools show
-- beside the id. Names come from the org_teams seed; the placeholder owners the allocation
-- writes ('unassigned': usage no seed maps; 'unallocated': a charge no usage matched) get a
-- name that says so, so a chart never shows a bare key or a blank.
with

teams as (

    select * from {{ ref('org_teams') }}

),

team_names as (

    select
        'team' as owner_kind,
        team_id as owner_id,
        team_name as owner_name
    from teams

),

cost_center_names as (

    -- a cost center is named on each of its teams' rows: two different names give two rows,
    -- which the unique test on (owner_kind, owner_id) fails loudly
    select distinct
        'cost_center' as owner_kind,
        cost_center_id as owner_id,
        cost_center_name as owner_name
    from teams

),

placeholders as (

    select
        owner_kinds.owner_kind,
        placeholder_names.owner_id,
        placeholder_names.owner_name
    from (values ('team'), ('cost_center')) as owner_kinds (owner_kind)
    cross join (
        values
        ('unassigned', 'Unassigned (usage no org seed maps)'),
        ('unallocated', 'Unallocated (charge with no matching usage)')
    ) as placeholder_names (owner_id, owner_name)

),

named as (

    select * from team_names
    union all
    select * from cost_center_names
    union all
    -- a seed that names a placeholder id itself keeps its own name
    select * from placeholders
    where not exists (
            select 1 from team_names
            where team_names.owner_kind = placeholders.owner_kind
                and team_names.owner_id = placeholders.owner_id
            union all
            select 1 from cost_center_names
            where cost_center_names.owner_kind = placeholders.owner_kind
                and cost_center_names.owner_id = placeholders.owner_id
        )

)

select * from named
