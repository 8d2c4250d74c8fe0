-- Configuration history (AWS Config-like) of Lambda functions, versions, aliases and layer versions.
-- Triggers record each change in the same transaction as the change itself, with the resource's state
-- before and after. The state is projected from the rows, never holding secrets: environment variables
-- appear only as keyed hashes (lamina_env_digest), code only as CodeSha256. Rows outlive the resource.
-- lamina_now(), lamina_event_id(), lamina_event_name() and lamina_env_digest() are registered by the
-- store on every connection that writes (SqliteStore.RegisterFunctions).
CREATE TABLE config_history (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    name          TEXT NOT NULL,
    qualifier     TEXT NULL,
    change_type   TEXT NOT NULL,
    captured_at   INTEGER NOT NULL,
    event_id      TEXT NULL,
    event_name    TEXT NULL,
    before_state  TEXT NULL,
    after_state   TEXT NULL
);
CREATE INDEX config_history_by_resource ON config_history (account_id, resource_type, resource_id, seq);

-- Inserting into this view records one change: (account, type, function or layer name, qualifier or NULL,
-- CREATE/UPDATE/DELETE). An UPDATE that leaves the projected state as it was, or whose resource is gone
-- (a cascade of a delete, which records itself; a version or alias counts as gone once its function is),
-- records nothing.
CREATE VIEW config_change (account_id, resource_type, name, qualifier, change_type) AS
    SELECT account_id, resource_type, name, qualifier, change_type FROM config_history;

CREATE TRIGGER config_change_record INSTEAD OF INSERT ON config_change
BEGIN
    INSERT INTO config_history (account_id, resource_type, resource_id, name, qualifier, change_type, captured_at, event_id, event_name,
                                before_state, after_state)
    SELECT NEW.account_id, NEW.resource_type, s.rid, NEW.name, NEW.qualifier, NEW.change_type, lamina_now(), lamina_event_id(),
           lamina_event_name(), s.before_state, s.after_state
    FROM (
        SELECT r.rid,
            (SELECT h.after_state FROM config_history h
             WHERE h.account_id = NEW.account_id AND h.resource_type = NEW.resource_type AND h.resource_id = r.rid
             ORDER BY h.seq DESC LIMIT 1) AS before_state,
            CASE
                WHEN NEW.change_type = 'DELETE' THEN NULL
                WHEN NEW.resource_type = 'AWS::Lambda::Function' THEN (
                    SELECT json_object(
                        'configuration', CASE WHEN v.sealed_env IS NULL THEN json(v.config)
                            ELSE json_set(v.config, '$.Environment', json(lamina_env_digest(v.account_id, v.function_name, v.sealed_env))) END,
                        'reservedConcurrentExecutions', f.reserved_concurrency,
                        'tags', json(f.tags),
                        'policy', (SELECT json(p.document) FROM function_policies p
                                   WHERE p.account_id = f.account_id AND p.function_name = f.name AND p.qualifier = ''),
                        'eventInvokeConfig', (SELECT json(e.config) FROM event_invoke_configs e
                                              WHERE e.account_id = f.account_id AND e.function_name = f.name AND e.qualifier = '$LATEST'))
                    FROM functions f
                    JOIN function_versions v ON v.account_id = f.account_id AND v.function_name = f.name AND v.version_number = 0
                    WHERE f.account_id = NEW.account_id AND f.name = NEW.name)
                WHEN NEW.resource_type = 'AWS::Lambda::Version' THEN (
                    SELECT json_object(
                        'configuration', CASE WHEN v.sealed_env IS NULL THEN json(v.config)
                            ELSE json_set(v.config, '$.Environment', json(lamina_env_digest(v.account_id, v.function_name, v.sealed_env))) END,
                        'policy', (SELECT json(p.document) FROM function_policies p
                                   WHERE p.account_id = v.account_id AND p.function_name = v.function_name AND p.qualifier = NEW.qualifier),
                        'provisionedConcurrentExecutions', (SELECT pc.requested FROM provisioned_concurrency pc
                            WHERE pc.account_id = v.account_id AND pc.function_name = v.function_name AND pc.qualifier = NEW.qualifier),
                        'eventInvokeConfig', (SELECT json(e.config) FROM event_invoke_configs e
                                              WHERE e.account_id = v.account_id AND e.function_name = v.function_name AND e.qualifier = NEW.qualifier))
                    FROM function_versions v
                    WHERE v.account_id = NEW.account_id AND v.function_name = NEW.name AND v.version_number = CAST(NEW.qualifier AS INTEGER)
                      AND EXISTS (SELECT 1 FROM functions f WHERE f.account_id = NEW.account_id AND f.name = NEW.name))
                WHEN NEW.resource_type = 'AWS::Lambda::Alias' THEN (
                    SELECT json_object(
                        'configuration', json(a.config),
                        'policy', (SELECT json(p.document) FROM function_policies p
                                   WHERE p.account_id = a.account_id AND p.function_name = a.function_name AND p.qualifier = a.name),
                        'provisionedConcurrentExecutions', (SELECT pc.requested FROM provisioned_concurrency pc
                            WHERE pc.account_id = a.account_id AND pc.function_name = a.function_name AND pc.qualifier = a.name),
                        'eventInvokeConfig', (SELECT json(e.config) FROM event_invoke_configs e
                                              WHERE e.account_id = a.account_id AND e.function_name = a.function_name AND e.qualifier = a.name))
                    FROM aliases a
                    WHERE a.account_id = NEW.account_id AND a.function_name = NEW.name AND a.name = NEW.qualifier
                      AND EXISTS (SELECT 1 FROM functions f WHERE f.account_id = NEW.account_id AND f.name = NEW.name))
                WHEN NEW.resource_type = 'AWS::Lambda::LayerVersion' THEN (
                    SELECT json_object(
                        'configuration', json_remove(lv.info, '$.Content.Location'),
                        'policy', (SELECT json(lp.document) FROM layer_version_policies lp
                                   WHERE lp.account_id = lv.account_id AND lp.layer_name = lv.layer_name AND lp.version = lv.version))
                    FROM layer_versions lv
                    WHERE lv.account_id = NEW.account_id AND lv.layer_name = NEW.name AND lv.version = CAST(NEW.qualifier AS INTEGER))
            END AS after_state
        FROM (SELECT CASE WHEN NEW.qualifier IS NULL THEN NEW.name ELSE NEW.name || ':' || NEW.qualifier END AS rid) r
    ) s
    WHERE NEW.change_type <> 'UPDATE' OR (s.after_state IS NOT NULL AND s.after_state IS NOT s.before_state);
END;

-- A change to a per-qualifier setting (policy, event-invoke config, provisioned concurrency) is an update of
-- the function ('' or $LATEST), of a published version (digits) or of an alias (anything else).
CREATE VIEW config_qualifier_change (account_id, function_name, qualifier) AS
    SELECT account_id, name, qualifier FROM config_history;

CREATE TRIGGER config_qualifier_change_record INSTEAD OF INSERT ON config_qualifier_change
BEGIN
    INSERT INTO config_change (account_id, resource_type, name, qualifier, change_type)
    VALUES (NEW.account_id,
            CASE WHEN NEW.qualifier IN ('', '$LATEST') THEN 'AWS::Lambda::Function'
                 WHEN NEW.qualifier NOT GLOB '*[^0-9]*' THEN 'AWS::Lambda::Version'
                 ELSE 'AWS::Lambda::Alias' END,
            NEW.function_name,
            CASE WHEN NEW.qualifier IN ('', '$LATEST') THEN NULL ELSE NEW.qualifier END,
            'UPDATE');
END;

CREATE TRIGGER config_function_created AFTER INSERT ON function_versions
BEGIN
    INSERT INTO config_change VALUES (NEW.account_id,
        CASE WHEN NEW.version_number = 0 THEN 'AWS::Lambda::Function' ELSE 'AWS::Lambda::Version' END,
        NEW.function_name, CASE WHEN NEW.version_number = 0 THEN NULL ELSE CAST(NEW.version_number AS TEXT) END, 'CREATE');
END;

CREATE TRIGGER config_function_updated AFTER UPDATE ON function_versions
BEGIN
    INSERT INTO config_change VALUES (NEW.account_id,
        CASE WHEN NEW.version_number = 0 THEN 'AWS::Lambda::Function' ELSE 'AWS::Lambda::Version' END,
        NEW.function_name, CASE WHEN NEW.version_number = 0 THEN NULL ELSE CAST(NEW.version_number AS TEXT) END, 'UPDATE');
END;

-- $LATEST goes only with its function, whose own delete is recorded below.
CREATE TRIGGER config_version_deleted AFTER DELETE ON function_versions WHEN OLD.version_number > 0
BEGIN
    INSERT INTO config_change VALUES (OLD.account_id, 'AWS::Lambda::Version', OLD.function_name, CAST(OLD.version_number AS TEXT), 'DELETE');
END;

CREATE TRIGGER config_function_settings AFTER UPDATE OF reserved_concurrency, tags ON functions
    WHEN OLD.reserved_concurrency IS NOT NEW.reserved_concurrency OR OLD.tags IS NOT NEW.tags
BEGIN
    INSERT INTO config_change VALUES (NEW.account_id, 'AWS::Lambda::Function', NEW.name, NULL, 'UPDATE');
END;

CREATE TRIGGER config_function_deleted AFTER DELETE ON functions
BEGIN
    INSERT INTO config_change VALUES (OLD.account_id, 'AWS::Lambda::Function', OLD.name, NULL, 'DELETE');
END;

CREATE TRIGGER config_alias_created AFTER INSERT ON aliases
BEGIN
    INSERT INTO config_change VALUES (NEW.account_id, 'AWS::Lambda::Alias', NEW.function_name, NEW.name, 'CREATE');
END;

CREATE TRIGGER config_alias_updated AFTER UPDATE ON aliases
BEGIN
    INSERT INTO config_change VALUES (NEW.account_id, 'AWS::Lambda::Alias', NEW.function_name, NEW.name, 'UPDATE');
END;

CREATE TRIGGER config_alias_deleted AFTER DELETE ON aliases
BEGIN
    INSERT INTO config_change VALUES (OLD.account_id, 'AWS::Lambda::Alias', OLD.function_name, OLD.name, 'DELETE');
END;

CREATE TRIGGER config_layer_version_created AFTER INSERT ON layer_versions
BEGIN
    INSERT INTO config_change VALUES (NEW.account_id, 'AWS::Lambda::LayerVersion', NEW.layer_name, CAST(NEW.version AS TEXT), 'CREATE');
END;

CREATE TRIGGER config_layer_version_deleted AFTER DELETE ON layer_versions
BEGIN
    INSERT INTO config_change VALUES (OLD.account_id, 'AWS::Lambda::LayerVersion', OLD.layer_name, CAST(OLD.version AS TEXT), 'DELETE');
END;

CREATE TRIGGER config_layer_policy_inserted AFTER INSERT ON layer_version_policies
BEGIN
    INSERT INTO config_change VALUES (NEW.account_id, 'AWS::Lambda::LayerVersion', NEW.layer_name, CAST(NEW.version AS TEXT), 'UPDATE');
END;

CREATE TRIGGER config_layer_policy_updated AFTER UPDATE ON layer_version_policies
BEGIN
    INSERT INTO config_change VALUES (NEW.account_id, 'AWS::Lambda::LayerVersion', NEW.layer_name, CAST(NEW.version AS TEXT), 'UPDATE');
END;

CREATE TRIGGER config_layer_policy_deleted AFTER DELETE ON layer_version_policies
BEGIN
    INSERT INTO config_change VALUES (OLD.account_id, 'AWS::Lambda::LayerVersion', OLD.layer_name, CAST(OLD.version AS TEXT), 'UPDATE');
END;

CREATE TRIGGER config_policy_inserted AFTER INSERT ON function_policies
BEGIN
    INSERT INTO config_qualifier_change VALUES (NEW.account_id, NEW.function_name, NEW.qualifier);
END;

CREATE TRIGGER config_policy_updated AFTER UPDATE ON function_policies
BEGIN
    INSERT INTO config_qualifier_change VALUES (NEW.account_id, NEW.function_name, NEW.qualifier);
END;

CREATE TRIGGER config_policy_deleted AFTER DELETE ON function_policies
BEGIN
    INSERT INTO config_qualifier_change VALUES (OLD.account_id, OLD.function_name, OLD.qualifier);
END;

CREATE TRIGGER config_event_invoke_inserted AFTER INSERT ON event_invoke_configs
BEGIN
    INSERT INTO config_qualifier_change VALUES (NEW.account_id, NEW.function_name, NEW.qualifier);
END;

CREATE TRIGGER config_event_invoke_updated AFTER UPDATE ON event_invoke_configs
BEGIN
    INSERT INTO config_qualifier_change VALUES (NEW.account_id, NEW.function_name, NEW.qualifier);
END;

CREATE TRIGGER config_event_invoke_deleted AFTER DELETE ON event_invoke_configs
BEGIN
    INSERT INTO config_qualifier_change VALUES (OLD.account_id, OLD.function_name, OLD.qualifier);
END;

CREATE TRIGGER config_provisioned_inserted AFTER INSERT ON provisioned_concurrency
BEGIN
    INSERT INTO config_qualifier_change VALUES (NEW.account_id, NEW.function_name, NEW.qualifier);
END;

-- Allocation progress (status, allocated) is not configuration; only the requested amount is.
CREATE TRIGGER config_provisioned_updated AFTER UPDATE OF requested ON provisioned_concurrency WHEN OLD.requested IS NOT NEW.requested
BEGIN
    INSERT INTO config_qualifier_change VALUES (NEW.account_id, NEW.function_name, NEW.qualifier);
END;

CREATE TRIGGER config_provisioned_deleted AFTER DELETE ON provisioned_concurrency
BEGIN
    INSERT INTO config_qualifier_change VALUES (OLD.account_id, OLD.function_name, OLD.qualifier);
END;
