-- Audit entries say from where (ip), about what (subject) and what changed
-- (changes: a JSON list of {"field", "before", "after"}).
ALTER TABLE audit ADD COLUMN ip TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN subject TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN changes TEXT NOT NULL DEFAULT '[]';
CREATE INDEX audit_actor ON audit (actor, id);
CREATE INDEX audit_action ON audit (action, id);
CREATE INDEX sessions_user ON sessions (user_id);
