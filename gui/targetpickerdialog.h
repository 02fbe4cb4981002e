#pragma once

#include "sessioncontroller.h"

#include <QDialog>
#include <QJsonObject>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSortFilterProxyModel;
class QSpinBox;
class QTimer;
class QTreeView;

namespace podtap {

class DaemonLink;
class PreflightChecklistModel;
class TargetListModel;

// "New capture/mirror": pick what to tap from what the daemon sees in the cluster —
// kubeconfig context → namespace → pod, deployment, statefulset or service (searchable, with
// status) → port (the spec's container ports, or typed) — and see the preflight checklist
// for that choice before anything is injected. Start is only offered when preflight passed;
// warnings need an explicit "start anyway", failures never allow it. Each step explains an
// empty or failed answer (no kubeconfig, no pods, not allowed) and what to do next.
class TargetPickerDialog : public QDialog
{
    Q_OBJECT

public:
    explicit TargetPickerDialog(DaemonLink *link, QWidget *parent = nullptr);
    ~TargetPickerDialog() override;

    // Kubeconfig files to use (empty: $KUBECONFIG's, as the CLI does); reloads the contexts.
    void setKubeconfig(const QStringList &files);
    SessionController::StartRequest request() const;
    // Preselects a tap profile ("default", "nonroot", "baseline"; others are ignored): the
    // main window passes Settings' choice, which the user still sees and may change here.
    void setTapProfile(const QString &profile);
    // Why Start is disabled, or empty.
    QString problem() const;
    // Waits this long after the last change of target or port before running preflight.
    void setPreflightDelayMs(int ms);

    TargetListModel *targetModel() const { return m_targets; }
    PreflightChecklistModel *checklistModel() const { return m_checklist; }

Q_SIGNALS:
    // Each answer the dialog got from the daemon (for tests and the status line).
    void contextsLoaded();
    void namespacesLoaded();
    void targetsLoaded();
    void preflightFinished(bool passed);

private:
    void reload();
    void loadNamespaces();
    void loadTargets();
    void targetChosen();
    void schedulePreflight();
    void runPreflight();
    void setStatus(const QString &text, bool error = false);
    void validate();
    QJsonObject baseParams() const;
    QString currentTarget() const;
    int currentPort() const;

    DaemonLink *m_link;
    QStringList m_kubeconfig;
    QComboBox *m_context;
    QComboBox *m_namespace;
    QLineEdit *m_search;
    QTreeView *m_targetView;
    QComboBox *m_port;
    QComboBox *m_profile; // tap profile: "default" | "nonroot" | "baseline" (item data)
    QLabel *m_status;
    QTreeView *m_checklistView;
    QLabel *m_verdict;
    QPlainTextEdit *m_ask;
    QPushButton *m_copyAsk;
    QCheckBox *m_startAnyway;
    QCheckBox *m_mirror;
    QSpinBox *m_mirrorPort;
    QCheckBox *m_joinMidstream;
    QDialogButtonBox *m_buttons;
    QTimer *m_preflightTimer;
    QTimer *m_namespaceTimer;
    TargetListModel *m_targets;
    QSortFilterProxyModel *m_filter;
    PreflightChecklistModel *m_checklist;

    QJsonObject m_contexts; // kube.contexts answer
    // Stale answers (the user moved on) are dropped by generation.
    int m_namespaceGeneration = 0;
    int m_targetsGeneration = 0;
    int m_preflightGeneration = 0;
    // What the checklist shown is for; Start needs it to match the current choice.
    QString m_checkedKey;
    bool m_preflightRunning = false;
    bool m_preflightPassed = false;
    QString m_preflightError;
};

} // namespace podtap
